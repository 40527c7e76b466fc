import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'

/** What every benchmark that makes a database takes (./bench-db.ts): leave it in place, or measure on a kept one. */
const DATABASE = {
  keep: z.boolean().default(false),
  reuse: z.string().regex(/^\w+$/, 'takes the name of a kept database, as --keep printed it').optional(),
}

interface DatabaseOptions {
  keep: boolean
  reuse?: string
}

let database: DatabaseOptions = { keep: false }

/** The `--keep` and `--reuse` of the command line, as benchOptions read them. */
export const databaseOptions = () => database

/** A flag (`--keep`) rather than an option with a value (`--scale 40`): a boolean, however wrapped in a default. */
function isFlag(schema: z.ZodType): boolean {
  let inner = schema
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.def.innerType as z.ZodType
  return inner instanceof z.ZodBoolean
}

type Options<S extends z.ZodRawShape> = z.infer<z.ZodObject<S>> & DatabaseOptions & { positionals: string[] }

/**
 * A benchmark's command line: the options it declares (and `--keep`, `--reuse`), read with node:util's parseArgs and
 * checked with zod. An option it does not declare, a missing value or one of the wrong kind stops it with a sentence
 * before anything runs: read by hand, a misspelt `--resluts 10000000` ran the default size and wrote its figures.
 * `positionals`: words given without an option (bench:ingest's case filter).
 */
export function benchOptions<S extends z.ZodRawShape>(shape: S, { positionals = false } = {}): Options<S> {
  const read = readOptions(shape, process.argv.slice(2), positionals)
  if (typeof read === 'string') return stop(read)
  database = { keep: read.keep, reuse: read.reuse }
  return read
}

/** benchOptions' reading of `argv`: the options, or the sentence that says what is wrong with them. */
export function readOptions<S extends z.ZodRawShape>(shape: S, argv: string[], positionals = false): Options<S> | string {
  const schema = z.strictObject({ ...DATABASE, ...shape })
  const kinds = Object.fromEntries(Object.entries(schema.shape)
    .map(([name, s]) => [name, { type: isFlag(s as z.ZodType) ? 'boolean' as const : 'string' as const }]))
  let read: ReturnType<typeof parseArgs>
  try {
    read = parseArgs({ args: argv, options: kinds, allowPositionals: positionals, strict: true })
  }
  catch (err) {
    return `${(err as Error).message.split('\n')[0]} (it takes ${Object.keys(kinds).map(k => `--${k}`).join(', ')}).`
  }
  const checked = schema.safeParse(read.values)
  if (!checked.success) return checked.error.issues.map(i => `--${i.path.join('.')}: ${i.message}`).join('; ')
  return { ...checked.data, positionals: read.positionals } as Options<S>
}

/** Ends the benchmark before it starts, with the sentence and no stack: the command line is what is wrong. */
function stop(message: string): never {
  console.error(`${basename(process.argv[1] ?? 'benchmark')}: ${message}`)
  process.exit(2)
}

/** A whole-number option (`--calls 200`), at least `min`. */
export const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback)
