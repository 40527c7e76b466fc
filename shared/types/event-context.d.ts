declare module 'h3' {
  interface H3EventContext {
    /** The origin links are built on (server/plugins/00.config.ts). */
    publicBaseUrl?: string
  }
}
export {}
