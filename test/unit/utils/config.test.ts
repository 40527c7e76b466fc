import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, nodeVersionProblem, parseConfig } from '../../../server/utils/config'

describe('parseConfig', () => {
  it('gives the documented defaults for an empty environment (empty values count as unset)', () => {
    const c = parseConfig({ PROOFDECK_FLAKY_WINDOW: '', DATABASE_URL: '  ', UNRELATED: 'x' })
    expect(c).toMatchObject({
      port: 3000, databaseUrl: null, databasePoolSize: 10, dataDir: '.data/pglite', admin: null, demo: null, demoScale: 1,
      maxUploadBytes: 50 * 1024 * 1024, bcryptCost: 12, publicUrl: null, flakyWindow: 30, infraFailureShare: 0.5, contextTokens: 6000,
      llm: {}, retentionDays: null,
    })
    expect(c.tools.enabled.size + c.tools.disabled.size).toBe(0)
  })

  it('reads every variable it documents', () => {
    const c = parseConfig({
      PORT: '8080', DATABASE_URL: 'postgres://u:p@db:5432/pd', DATABASE_POOL_SIZE: '20', PROOFDECK_DATA_DIR: 'memory://',
      PROOFDECK_ADMIN_EMAIL: 'a@b.test', PROOFDECK_ADMIN_PASSWORD: 'first-password', PROOFDECK_DEMO: 'true', PROOFDECK_DEMO_SCALE: '0.2',
      PROOFDECK_MAX_UPLOAD_MB: '1', PROOFDECK_BCRYPT_COST: '4', PROOFDECK_PUBLIC_URL: 'https://pd.example.com/',
      ENABLED_TOOLS: ' get_run, list_runs ,', DISABLED_TOOLS: 'get_run', PROOFDECK_FLAKY_WINDOW: '50', PROOFDECK_INFRA_FAILURE_SHARE: '1',
      PROOFDECK_CONTEXT_TOKENS: '1000', PROOFDECK_LLM_PROVIDER: 'OpenAI', PROOFDECK_LLM_MODEL: 'gpt-x', PROOFDECK_LLM_PRICE_INPUT: '0.15',
      PROOFDECK_RETENTION_DAYS: '90',
    })
    expect(c).toMatchObject({
      port: 8080, databaseUrl: 'postgres://u:p@db:5432/pd', databasePoolSize: 20, dataDir: 'memory://', admin: { email: 'a@b.test', password: 'first-password' },
      demo: true, demoScale: 0.2, maxUploadBytes: 1024 * 1024, bcryptCost: 4, publicUrl: 'https://pd.example.com', flakyWindow: 50,
      infraFailureShare: 1, contextTokens: 1000, retentionDays: 90, llm: { PROOFDECK_LLM_PROVIDER: 'OpenAI', PROOFDECK_LLM_MODEL: 'gpt-x', PROOFDECK_LLM_PRICE_INPUT: '0.15' },
    })
    expect([...c.tools.enabled]).toEqual(['get_run', 'list_runs'])
    expect([...c.tools.disabled]).toEqual(['get_run'])
  })

  it.each([
    ['PROOFDECK_FLAKY_WINDOW', 'abc', /PROOFDECK_FLAKY_WINDOW is "abc": a whole number from 5 to 500 is expected\./],
    ['PROOFDECK_FLAKY_WINDOW', '4', /from 5 to 500/],
    ['PROOFDECK_BCRYPT_COST', '12.5', /PROOFDECK_BCRYPT_COST is "12.5": a whole number from 4 to 15/],
    ['PROOFDECK_INFRA_FAILURE_SHARE', '0', /PROOFDECK_INFRA_FAILURE_SHARE is "0": a share above 0 and at most 1/],
    ['PROOFDECK_INFRA_FAILURE_SHARE', '1.5', /at most 1/],
    ['PROOFDECK_MAX_UPLOAD_MB', '-3', /PROOFDECK_MAX_UPLOAD_MB is "-3": a positive number of megabytes/],
    ['PROOFDECK_PUBLIC_URL', 'pd.example.com', /PROOFDECK_PUBLIC_URL is "pd.example.com": the URL people and CI reach/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL is "mysql:\/\/x": a postgres:\/\/ connection string/],
    ['PROOFDECK_DEMO', 'yes', /PROOFDECK_DEMO is "yes": 1 or 0 is expected/],
    ['PROOFDECK_ADMIN_EMAIL', 'admin', /PROOFDECK_ADMIN_EMAIL is "admin": an email address/],
    ['PROOFDECK_LLM_PROVIDER', 'gemini', /PROOFDECK_LLM_PROVIDER is "gemini": openai, anthropic or none is expected/],
    ['PORT', '70000', /PORT is "70000": a whole number from 0 to 65535/],
    ['PROOFDECK_RETENTION_DAYS', '0', /PROOFDECK_RETENTION_DAYS is "0": a whole number of days from 1 to 36500/],
    // a value without a scheme, or another scheme, made every link the server gave out unusable
    ['PROOFDECK_PUBLIC_URL', 'localhost:3000', /PROOFDECK_PUBLIC_URL is "localhost:3000": the URL people and CI reach/],
    ['PROOFDECK_PUBLIC_URL', 'ftp://pd.example.com', /PROOFDECK_PUBLIC_URL is "ftp:\/\/pd.example.com"/],
    ['PROOFDECK_S3_ENDPOINT', 'minio:9000', /PROOFDECK_S3_ENDPOINT is "minio:9000": an http\(s\) URL is expected/],
    // a wrong prefix made every sign-in a 500; a host name was ignored without a word
    ['PROOFDECK_TRUSTED_PROXIES', '127.0.0.1, 10.0.0.0/99', /PROOFDECK_TRUSTED_PROXIES is "127.0.0.1, 10.0.0.0\/99": "10.0.0.0\/99" is not an address or a CIDR/],
    ['PROOFDECK_TRUSTED_PROXIES', 'localhost', /"localhost" is not an address or a CIDR like 10.0.0.0\/8 \(host names are not resolved\)/],
    // a typo offered every tool, or none
    ['DISABLED_TOOLS', 'get-run', /DISABLED_TOOLS is "get-run": "get-run" is no tool; the tools are list_projects, get_project,/],
    ['ENABLED_TOOLS', 'list_projects,get_runn', /"get_runn" is no tool/],
    ['PROOFDECK_ADMIN_EMAIL', 'a@b.test', /PROOFDECK_ADMIN_PASSWORD is not set: required with PROOFDECK_ADMIN_EMAIL/],
  ])('refuses %s=%s with a sentence naming the variable', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => parseConfig({ [name]: value })).toThrow(message)
  })

  it('holds the first admin\'s password to the rule of every password, and never prints it', () => {
    const short = () => parseConfig({ PROOFDECK_ADMIN_EMAIL: 'a@b.test', PROOFDECK_ADMIN_PASSWORD: 'hunter2' })
    expect(short).toThrow('PROOFDECK_ADMIN_PASSWORD (not shown): at least 10 characters are expected, as for any password.')
    expect(short).not.toThrow(/hunter2/)
  })

  it('names every wrong variable at once', () => {
    expect(() => parseConfig({ PORT: 'x', PROOFDECK_CONTEXT_TOKENS: '5' })).toThrow(/PORT is "x".*PROOFDECK_CONTEXT_TOKENS is "5"/)
  })

  it('accepts .env.example as it stands, and the README and .env.example document every variable it reads', () => {
    const example = readFileSync('.env.example', 'utf8')
    const readme = readFileSync('README.md', 'utf8')
    const env = Object.fromEntries(example.split('\n').filter(l => /^[A-Z_]+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    expect(() => parseConfig(env)).not.toThrow()
    const read = [...readFileSync('server/utils/config.ts', 'utf8').matchAll(/^ {2}([A-Z][A-Z_]+): /gm)].map(m => m[1]!)
    expect(read.length).toBeGreaterThan(20)
    for (const name of read) {
      expect(example, `${name} in .env.example`).toContain(name)
      expect(readme, `${name} in README.md`).toContain(`\`${name}\``)
    }
  })
})

describe('nodeVersionProblem', () => {
  it.each([
    ['20.19.0', null], ['20.20.2', null], ['22.12.0', null], ['24.1.0', null],
    ['20.18.3', 'Node 20.18.3 is too old: Proofdeck needs Node 20.19 or later (20.x is what it is tested on).'],
    ['18.20.4', 'Node 18.20.4 is too old: Proofdeck needs Node 20.19 or later (20.x is what it is tested on).'],
  ])('Node %s: %s', (version, sentence) => {
    expect(nodeVersionProblem(version)).toBe(sentence)
  })
})
