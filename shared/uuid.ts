const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The string is a UUID (any version), as every id here is. Without zod, so a page can ask it too. */
export const isUuid = (s: string): boolean => UUID.test(s)

/** Every UUID written in a text, lower-cased, each once. */
export const uuidsIn = (text: string): string[] =>
  [...new Set([...text.matchAll(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi)].map(m => m[0].toLowerCase()))]
