import { describe, expect, it } from 'vitest'
import { runServerToExit } from './server'

describe('configuration', () => {
  it.each([
    [{ PROOFDECK_FLAKY_WINDOW: 'thirty' }, 'PROOFDECK_FLAKY_WINDOW is "thirty": a whole number from 5 to 500 is expected.'],
    [{ PROOFDECK_PUBLIC_URL: 'proofdeck.example.com', DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE is "0"'],
    [{ DATABASE_READ_URL: 'postgres://replica.example/pd' }, 'DATABASE_READ_URL is set without DATABASE_URL'],
  ])('a wrong value stops the start with a sentence naming the variable (%j)', async (env, sentence) => {
    const { code, output } = await runServerToExit({ NUXT_SESSION_PASSWORD: 'x'.repeat(40), PROOFDECK_DATA_DIR: 'memory://', ...env })
    expect(code).toBe(1)
    const line = output.split('\n').find(l => l.includes('cannot start'))
    expect(line).toContain(sentence)
    for (const name of Object.keys(env)) expect(line).toContain(name)
  })
})
