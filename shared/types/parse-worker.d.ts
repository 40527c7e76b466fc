/** The parse worker's bundled source (nuxt.config.ts builds server/workers/parse.ts with esbuild into this virtual module). */
declare module '#parse-worker' {
  const code: string
  export default code
}
