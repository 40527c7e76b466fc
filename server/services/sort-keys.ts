import { sql, type SQL } from 'drizzle-orm'
import { NAME_PATTERNS } from '#shared/test-names'
import { schema } from '../db'

/*
 * Sort keys the lists of tests share (the flaky list, the explorer): the name shown, and numbers that may be missing.
 */

const { testCases } = schema

/**
 * A test's name as the list shows it (testName: a JVM test's classes before its method, `ApplicationTests ›
 * contextLoads()`), in lower case: read by the same patterns, folded and compared in the C collation (ASCII letters
 * folded, then code point order), so Postgres in any locale and PGlite order alike and a cursor continues it exactly.
 */
const LAST_SUITE = sql`${testCases.suitePath}[cardinality(${testCases.suitePath})]`
export const SHOWN_NAME = sql`lower((case
  when ${LAST_SUITE} ~ ${NAME_PATTERNS.qualifiedClass} and (${LAST_SUITE} ~ '[.$]' or ${testCases.title} ~ ${NAME_PATTERNS.method})
  then replace(regexp_replace(${LAST_SUITE}, '^.*[.]', ''), '$', ' › ') || ' › ' || ${testCases.title}
  else ${testCases.title} end) collate "C")`

/** A number that may be missing, as a key that puts a row without one last either way: past every value on the far side. */
export const lastWithout = (value: SQL, [below, above]: [number, number]) => (asc: boolean) => sql`coalesce(${value}, ${sql.raw(String(asc ? above : below))})`
