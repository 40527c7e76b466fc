/** The parse worker's bundled source (nuxt.config.ts builds it with esbuild into a virtual module). */
declare module '#parse-worker' {
  const code: string
  export default code
}
