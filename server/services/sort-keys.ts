import { sql, type SQL } from 'drizzle-orm'
import { DECODED_CODE_POINTS, ESCAPE_PATTERNS, NAME_PATTERNS } from '#shared/test-names'
import { LIBTEST_PATTERNS, LIBTEST_SUITE } from '#shared/rust-tests'
import { schema } from '../db'

/*
 * Sort keys the lists of tests share (the flaky list, the explorer): the name shown, and numbers that may be missing.
 */

const { testCases } = schema

/**
 * A test's title as the list shows it (shownTitle: a pytest id's escapes decoded, `test_greets[Müller]`): the id read
 * in the same tokens, each decodable escape by chr() of its code point, in order. Only a title with an escaped id
 * reads its tokens.
 */
const TITLE = sql`${testCases.title}`
const CODE_POINT = sql`('x' || lpad(coalesce(tok.m[2], tok.m[3], tok.m[4]), 8, '0'))::bit(32)::int`
const between = ([a, b]: readonly [number, number]) => sql`${CODE_POINT} between ${sql.raw(String(a))} and ${sql.raw(String(b))}`
const DECODABLE = sql`${between([DECODED_CODE_POINTS.from, DECODED_CODE_POINTS.to])}
  and not (${sql.join(DECODED_CODE_POINTS.except.map(between), sql` or `)})`
const SHOWN_TITLE = sql`case when ${TITLE} ~ ${ESCAPE_PATTERNS.escapedId}
  then left(${TITLE}, strpos(${TITLE}, '[') - 1) || (
    select string_agg(case when ${DECODABLE} then chr(${CODE_POINT}) else tok.m[1] end, '' order by tok.n)
    from regexp_matches(substr(${TITLE}, strpos(${TITLE}, '[')), ${`(${ESCAPE_PATTERNS.escapeToken})`}, 'g') with ordinality tok(m, n))
  else ${TITLE} end`

/**
 * A test's name as the list shows it (testName: a JVM test's classes before its method, `ApplicationTests ›
 * contextLoads()`; a Rust test by its module path, `tests::parser::unwraps`), in lower case: read by the same
 * patterns, folded and compared in the C collation (ASCII letters folded, then code point order), so Postgres in any
 * locale and PGlite order alike and a cursor continues it exactly.
 */
const LAST_SUITE = sql`${testCases.suitePath}[cardinality(${testCases.suitePath})]`
const LIBTEST = sql`cardinality(${testCases.suitePath}) = 2 and ${testCases.suitePath}[1] = ${LIBTEST_SUITE}`
const CLASSNAME = sql`${testCases.suitePath}[2]`
export const SHOWN_NAME = sql`lower((case
  when ${LIBTEST} and ${CLASSNAME} ~ ${LIBTEST_PATTERNS.module} and ${TITLE} ~ ${LIBTEST_PATTERNS.fn}
  then case when ${CLASSNAME} in ('crate', 'integration') then ${TITLE} else ${CLASSNAME} || '::' || ${TITLE} end
  when ${LIBTEST} and ${CLASSNAME} ~ ${LIBTEST_PATTERNS.docFile} and ${TITLE} ~ ${LIBTEST_PATTERNS.docTitle}
  then ${CLASSNAME} || ' - ' || ${TITLE}
  else case
    when ${LAST_SUITE} ~ ${NAME_PATTERNS.qualifiedClass} and (${LAST_SUITE} ~ '[.$]' or ${TITLE} ~ ${NAME_PATTERNS.method})
    then replace(regexp_replace(${LAST_SUITE}, '^.*[.]', ''), '$', ' › ') || ' › '
    else '' end || ${SHOWN_TITLE} end) collate "C")`

/** A number that may be missing, as a key that puts a row without one last either way: past every value on the far side. */
export const lastWithout = (value: SQL, [below, above]: [number, number]) => (asc: boolean) => sql`coalesce(${value}, ${sql.raw(String(asc ? above : below))})`
