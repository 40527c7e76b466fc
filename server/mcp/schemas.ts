import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server'
import type { z } from 'zod'

/**
 * A tool's zod schema as the SDK takes it, with its JSON Schema made once per process. The SDK wants a new server per
 * request, and a new server converts each schema again: every tools/list converted 22, every tools/call its output
 * schema, and that conversion cost more than most tools' queries. Validation stays zod's own.
 */

type Json = Record<string, unknown>

/** Open objects (`additionalProperties: {}`) are JSON Schema's default: the words add nothing. */
function withoutDefaults(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return
  const node = schema as Json
  if (node.additionalProperties && typeof node.additionalProperties === 'object' && !Object.keys(node.additionalProperties).length) {
    delete node.additionalProperties
  }
  for (const child of Object.values(node)) withoutDefaults(child)
}

/**
 * The JSON Schema tools/list gives, which is re-sent to the model on every turn: no dialect URL, and an output schema
 * without the open-object defaults. The SDK copies it into each answer and never changes it: frozen, so nothing can.
 */
function listed(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = schema['~standard'].jsonSchema[io]({ target: 'draft-2020-12' }) as Json
  delete json.$schema
  if (io === 'output') withoutDefaults(json)
  // an input refuses unknown arguments (validation says which); saying so in every tool's schema cost 11 × 29 bytes
  else if (json.additionalProperties === false) delete json.additionalProperties
  return deepFreeze(json)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** The schema with zod's validation and the JSON Schema above, converted on first use. */
export function convertedOnce<S extends z.ZodType>(schema: S, io: 'input' | 'output'): StandardSchemaWithJSON<z.input<S>, z.output<S>> {
  const std = schema['~standard']
  let json: Json | undefined
  const jsonSchema = () => (json ??= listed(schema, io))
  return { '~standard': { version: 1, vendor: std.vendor, validate: std.validate, jsonSchema: { input: jsonSchema, output: jsonSchema } } }
}
