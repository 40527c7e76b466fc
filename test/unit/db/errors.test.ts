import { describe, expect, it } from 'vitest'
import { DrizzleQueryError } from 'drizzle-orm/errors'
import { classifyDbError, describeForLog } from '../../../server/db/errors'

/** A driver error as postgres.js and PGlite throw them: a message and a SQLSTATE or socket code. */
const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code })
const wrapped = (cause: Error) => new DrizzleQueryError('insert into runs (key_hash) values ($1)', ['sha256-secret-hash', 'x'.repeat(5000)], cause)

describe('classifyDbError', () => {
  it.each([
    ['CONNECT_TIMEOUT', 'connection'], ['CONNECTION_CLOSED', 'connection'], ['ECONNREFUSED', 'connection'], ['57P01', 'connection'],
    ['57P03', 'connection'], ['08006', 'connection'], ['22007', 'data'], ['22008', 'data'], ['22P05', 'data'], ['22001', 'data'],
    ['22021', 'data'], ['54000', 'data'], ['23505', null], ['42P01', null], ['', null],
  ])('%s is %s, directly and wrapped by drizzle', (code, kind) => {
    expect(classifyDbError(pgError(code))?.kind ?? null).toBe(kind)
    expect(classifyDbError(wrapped(pgError(code)))?.kind ?? null).toBe(kind)
  })

  it('data errors come with a sentence for the client, never the SQL', () => {
    const k = classifyDbError(wrapped(pgError('22008', 'date/time field value out of range')))
    expect(k).toMatchObject({ kind: 'data', code: '22008' })
    expect(k && 'sentence' in k ? k.sentence : '').toMatch(/^A date .* 9999\.$/)
  })

  it('postgres.js\' own socket fault (a write on a closed connection) counts as a lost connection', () => {
    const fault = new TypeError('Cannot read properties of null (reading \'write\')')
    fault.stack = `TypeError: x\n    at nextWrite (file:///srv/.output/server/node_modules/postgres/src/connection.js:255:22)`
    expect(classifyDbError(fault)?.kind).toBe('connection')
    expect(classifyDbError(new TypeError('unrelated'))).toBeNull()
  })
})

describe('describeForLog', () => {
  it('gives the driver\'s code and message in one short line, never the query or its parameters', () => {
    const line = describeForLog(wrapped(pgError('22007', 'invalid input syntax for type timestamp with time zone')))
    expect(line).toBe('Error: 22007 invalid input syntax for type timestamp with time zone')
    expect(describeForLog(new DrizzleQueryError('select $1', ['secret'], undefined as unknown as Error))).not.toMatch(/select|secret/)
    expect(describeForLog(new Error('y'.repeat(5000))).length).toBeLessThan(320)
  })
})
