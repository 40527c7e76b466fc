import { is, Placeholder, sql, type SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type { Db } from '.'

/**
 * Statements built once: drizzle turning a query into its text and parameters cost 0.14–0.16 ms of CPU per statement
 * per call (0.6 ms for get_run's four), as much as Postgres took to run them. A kept statement is built on its first
 * call per database handle (a replaced pool, a replica: each its own), per name and per set of values given: `build`
 * is handed `has(name)`, and the statement's optional parts depend on nothing else. Later calls pass only the values.
 *
 * Only slots (`slot('name')`, placeholders) may carry values: a value written into the statement would be kept for
 * every later caller, whatever their scope. Building one with a value in it throws, and nothing is kept.
 */

type Values = Record<string, unknown>
/** Whether a value was given (neither undefined nor null): what shapes a kept statement. */
export type Has = (name: string) => boolean
interface Built<R> { execute: (values: Values) => Promise<R> }
interface Buildable<R> { toSQL: () => { params: unknown[] }, prepare: (name: string) => Built<R> }

const keptPerDb = new WeakMap<Db, Map<string, Built<unknown>>>()
const dialect = new PgDialect({ casing: 'snake_case' })

/** A value of a kept statement, given by name when it runs. */
export const slot = (name: string) => sql.placeholder(name)

/** Has for `values`: whether each was given. */
export const hasValue = (values: Values): Has => name => values[name] !== undefined && values[name] !== null

async function kept<R>(
  db: Db, name: string, values: Values, build: (has: Has, key: string) => { params: unknown[], prepare: () => Built<R> },
): Promise<R> {
  const given = hasValue(values)
  const key = `${name}(${Object.keys(values).filter(given).sort().join(',')})`
  let statements = keptPerDb.get(db)
  if (!statements) keptPerDb.set(db, statements = new Map())
  let statement = statements.get(key) as Built<R> | undefined
  if (!statement) {
    const { params, prepare } = build(given, key)
    if (params.some(v => !is(v, Placeholder))) throw new Error(`the kept statement ${key} has a value written into it: values go in slots`)
    statement = prepare()
    statements.set(key, statement)
  }
  return statement.execute(values)
}

/** A query builder's statement (db.select…), kept. */
export function runKept<R>(db: Db, name: string, values: Values, build: (has: Has) => Buildable<R>): Promise<R> {
  return kept(db, name, values, (has, key) => {
    const query = build(has)
    return { params: query.toSQL().params, prepare: () => query.prepare(key) }
  })
}

/** A raw statement (what db.execute runs), kept: rows as db.execute gives them on the handle's driver. */
export function executeKept(db: Db, name: string, values: Values, build: (has: Has) => SQL): Promise<unknown> {
  return kept(db, name, values, (has, key) => {
    const query = dialect.sqlToQuery(build(has))
    return { params: query.params, prepare: () => db._.session.prepareQuery(query, undefined, key, false) as Built<unknown> }
  })
}
