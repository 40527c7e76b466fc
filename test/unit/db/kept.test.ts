import { PGlite } from '@electric-sql/pglite'
import { and, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import { integer, pgTable, text } from 'drizzle-orm/pg-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../server/db'
import { executeKept, hasValue, runKept, slot } from '../../../server/db/kept'
import { rowsOf } from '../../../server/db/sql'

const items = pgTable('items', { id: integer().primaryKey(), owner: text().notNull(), kind: text() })

/** Two handles on one embedded database: a kept statement belongs to the handle it was built on. */
let client: PGlite
let db: Db
let other: Db

beforeAll(async () => {
  client = await PGlite.create('memory://')
  await client.exec(`create table items (id int primary key, owner text not null, kind text);
    insert into items values (1, 'ann', 'a'), (2, 'ann', 'b'), (3, 'bob', 'a'), (4, 'cy', null)`)
  db = drizzle(client, { casing: 'snake_case' }) as unknown as Db
  other = drizzle(client, { casing: 'snake_case' }) as unknown as Db
})
afterAll(() => client.close())

/** Items of an owner, of a kind when one is given: the shape depends on `has`, counted in `builds`. */
function itemsOf(handle: Db, values: { owner: string, kind?: string | null }, builds: string[]) {
  return runKept(handle, 'items', values, (has) => {
    builds.push(has('kind') ? 'owner+kind' : 'owner')
    return handle.select({ id: items.id }).from(items)
      .where(and(eq(items.owner, slot('owner')), has('kind') ? eq(items.kind, slot('kind')) : undefined)).orderBy(items.id)
  })
}

describe('kept statements', () => {
  it('are built once per handle and set of given values, and run with each call\'s values', async () => {
    const builds: string[] = []
    expect(await itemsOf(db, { owner: 'ann' }, builds)).toEqual([{ id: 1 }, { id: 2 }])
    expect(await itemsOf(db, { owner: 'bob' }, builds)).toEqual([{ id: 3 }])
    expect(await itemsOf(db, { owner: 'ann', kind: 'b' }, builds)).toEqual([{ id: 2 }])
    expect(await itemsOf(db, { owner: 'ann', kind: null }, builds)).toEqual([{ id: 1 }, { id: 2 }])
    expect(await itemsOf(db, { owner: 'nobody', kind: 'a' }, builds)).toEqual([])
    expect(builds).toEqual(['owner', 'owner+kind'])
    expect(await itemsOf(other, { owner: 'cy' }, builds)).toEqual([{ id: 4 }])
    expect(builds).toEqual(['owner', 'owner+kind', 'owner'])
  })

  it('refuse a statement with a value written into it, and keep none', async () => {
    const written = (owner: string) => runKept(db, 'written', {}, () => db.select({ id: items.id }).from(items).where(eq(items.owner, owner)))
    await expect(written('ann')).rejects.toThrow('the kept statement written() has a value written into it: values go in slots')
    // not kept: the next call builds (and refuses) again rather than answering with ann's rows
    await expect(written('bob')).rejects.toThrow('has a value written into it')
    await expect(runKept(db, 'limited', { owner: 'ann' }, () => db.select().from(items).where(eq(items.owner, slot('owner'))).limit(1)))
      .rejects.toThrow('has a value written into it')
  })

  it('run raw statements with rows as db.execute gives them', async () => {
    const count = async (owner: string) => rowsOf<{ n: number }>(await executeKept(db, 'count', { owner },
      () => sql`select count(*)::int as n from ${items} where ${items.owner} = ${slot('owner')}`))
    expect(await count('ann')).toEqual([{ n: 2 }])
    expect(await count('cy')).toEqual([{ n: 1 }])
  })

  it('count a value as given unless it is undefined or null', () => {
    const has = hasValue({ a: 0, b: '', c: null, d: undefined, e: false })
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map(has)).toEqual([true, true, false, false, true, false])
  })
})
