const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The string is a UUID (any version), as every id here is. Without zod, so a page can ask it too. */
export const isUuid = (s: string): boolean => UUID.test(s)

/** A UUID inside a text (a diagnosis's prose, a quote): a new RegExp each time, as a global one keeps its position. */
export const uuidInText = () => /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi

/** Every UUID written in a text, lower-cased, each once. */
export const uuidsIn = (text: string): string[] => [...new Set([...text.matchAll(uuidInText())].map(m => m[0].toLowerCase()))]
