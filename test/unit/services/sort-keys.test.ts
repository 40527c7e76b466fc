import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import { PgDialect } from 'drizzle-orm/pg-core'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../../server/db/sql'
import { SHOWN_NAME } from '../../../server/services/sort-keys'
import { testName } from '../../../shared/test-names'

/** Tests as stored, title and suite path: what the lists name and sort them by. */
const TESTS: [string, string[]][] = [
  ['test_greets[M\\xfcller]', ['pytest', 'tests.test_greet']],
  ['test_greets[Maier]', ['pytest', 'tests.test_greet']],
  ['test_greets[Mz]', ['pytest', 'tests.test_greet']],
  ['test_greets[\\u65e5\\u672c-1]', ['pytest', 'tests.test_greet']],
  ['test_emoji[\\U0001f600]', []],
  ['test_path[a\\\\xfcb]', []],
  ['test_path[a\\\\\\xfcb]', []],
  ['test_ws[tab\\tx-\\x0e-\\xad-\\u200b-\\ud83d-\\UFFFFFFFF]', []],
  ['test_lines[one\ntwo\\xe9]', []],
  ['x\\xfc[y]', []],
  ['test_refund[\\xe9]', ['pytest', 'tests.test_api.TestOrders']],
  ['adds(int, int)', ['com.example.Calc']],
  ['contextLoads()', ['com.example.api.ApplicationTests$Nested']],
  // libtest (cargo test): a test by its module path, as cargo names it
  ['unwrap_on_none', ['test', 'tests::parser']],
  ['Adds', ['test', 'crate']],
  ['adds_through_the_api', ['test', 'integration']],
  ['tokenizes_unicode_größe', ['test', 'tests']],
  ['parse_cents (line 14)', ['test', 'src/lib.rs']],
  ['not a fn', ['test', 'tests']],
  ['unwrap_on_none', ['test', 'tests::parser', 'more']],
]

let client: PGlite
beforeAll(async () => {
  client = await PGlite.create('memory://')
  await client.exec('create table test_cases (id serial primary key, title text not null, suite_path text[] not null)')
  for (const [title, path] of TESTS) await client.query('insert into test_cases (title, suite_path) values ($1, $2)', [title, path])
})
afterAll(() => client.close())

describe('SHOWN_NAME', () => {
  it('is the name a list shows (testName), a pytest id decoded, in lower case: lists sort by what they show', async () => {
    const db = drizzle(client, { casing: 'snake_case' })
    const rows = rowsOf<{ title: string, key: string }>(await db.execute(sql`select title, ${SHOWN_NAME} as key from test_cases order by id`))
    // lower() in the C collation folds ASCII letters only
    const folded = (s: string) => s.replace(/[A-Z]/g, c => c.toLowerCase())
    expect(rows.map(r => r.key)).toEqual(TESTS.map(([title, suitePath]) => folded(testName({ title, suitePath }))))
    expect(rows.find(r => r.title === 'test_greets[M\\xfcller]')!.key).toBe('test_greets[müller]')
    // by the decoded name, Müller sorts after Mz (ü is past every ASCII letter), as the list reads it
    const sorted = rowsOf<{ title: string }>(await db.execute(sql`select title from test_cases where title like 'test_greets[M%' order by ${SHOWN_NAME}`))
    expect(sorted.map(r => r.title)).toEqual(['test_greets[Maier]', 'test_greets[Mz]', 'test_greets[M\\xfcller]'])
    expect(rows.filter(r => r.key.includes('::') || r.key.includes(' - ')).map(r => r.key))
      .toEqual(['tests::parser::unwrap_on_none', 'tests::tokenizes_unicode_größe', 'src/lib.rs - parse_cents (line 14)'])
  })

  it.runIf(process.env.TEST_DATABASE_URL)('is the same key on Postgres', async () => {
    const query = new PgDialect({ casing: 'snake_case' }).sqlToQuery(sql`select ${SHOWN_NAME} as key from test_cases order by id`)
    const lite = (await client.query<{ key: string }>(query.sql, query.params)).rows
    const pg = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      const keys = await pg.begin(async (tx) => {
        await tx.unsafe('create temp table test_cases (id serial primary key, title text not null, suite_path text[] not null) on commit drop')
        for (const [title, path] of TESTS) await tx.unsafe('insert into test_cases (title, suite_path) values ($1, $2)', [title, path])
        return tx.unsafe(query.sql, query.params as never[])
      })
      expect(keys.map(r => r.key)).toEqual(lite.map(r => r.key))
    }
    finally {
      await pg.end()
    }
  })
})
