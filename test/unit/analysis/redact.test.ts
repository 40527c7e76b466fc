import { describe, expect, it } from 'vitest'
import { createRedactor, redactSecrets, type SecretKind } from '../../../server/analysis/redact'

// Real-looking secrets (none of them valid anywhere).
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
const PD_KEY = `pd_${'3f9a1c'.repeat(10)}abcd`
const GH_TOKEN = 'ghp_R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng12'
const OPENAI = 'sk-proj-Xy12Ab34Cd56Ef78Gh90Ij12Kl34Mn56Op78'
const ANTHROPIC = 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abc'
const STRIPE = 'sk_live_51HcQ2wLkdIwHu7ixk3sFzYq'
const SLACK = 'xoxb-2048-4096-AbCdEfGhIjKlMnOp'
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE'
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDH3p9s0m3K3yM4t3r1al\n-----END OPENSSH PRIVATE KEY-----'

const CASES: { name: string, input: string, secret: string, kind: SecretKind, keeps?: string }[] = [
  { name: 'bearer header', input: 'GET /api/orders\nAuthorization: Bearer 7f3k29fk2l3kf93kd02kd93kdl', secret: '7f3k29fk2l3kf93kd02kd93kdl', kind: 'authorization', keeps: 'Authorization: Bearer [REDACTED' },
  { name: 'bearer in a curl line', input: `curl -H "authorization: bearer ${GH_TOKEN}" https://api.github.com`, secret: GH_TOKEN, kind: 'authorization' },
  { name: 'bare bearer token', input: 'retrying with Bearer abc123def456ghi789', secret: 'abc123def456ghi789', kind: 'bearer', keeps: 'retrying with Bearer [REDACTED:bearer]' },
  { name: 'basic auth header', input: 'Proxy-Authorization: Basic dXNlcjpodW50ZXIy', secret: 'dXNlcjpodW50ZXIy', kind: 'authorization' },
  { name: 'basic credentials in a log', input: 'sending Basic YWRtaW46czNjcjN0IQ== to upstream', secret: 'YWRtaW46czNjcjN0IQ==', kind: 'basic' },
  { name: 'JWT in a cookie-less log line', input: `token refresh failed for ${JWT}`, secret: JWT, kind: 'jwt' },
  { name: 'Proofdeck API key', input: `proofdeck upload failed: key ${PD_KEY} rejected`, secret: PD_KEY, kind: 'api-key' },
  { name: 'GitHub token', input: `git clone https://github.com/acme/x using ${GH_TOKEN}`, secret: GH_TOKEN, kind: 'api-key' },
  { name: 'OpenAI key', input: `OpenAIError: Incorrect API key provided: ${OPENAI}`, secret: OPENAI, kind: 'api-key' },
  { name: 'Anthropic key', input: `x-api-key: ${ANTHROPIC}`, secret: ANTHROPIC, kind: 'api-key' },
  { name: 'Stripe key', input: `Stripe.api_key = "${STRIPE}"`, secret: STRIPE, kind: 'api-key' },
  { name: 'Slack token', input: `slack: invalid_auth for ${SLACK}`, secret: SLACK, kind: 'api-key' },
  { name: 'AWS access key id', input: `The AWS Access Key Id ${AWS_ID} you provided does not exist in our records.`, secret: AWS_ID, kind: 'aws-key' },
  { name: 'AWS secret in env dump', input: `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\nAWS_REGION=eu-west-1`, secret: AWS_SECRET, kind: 'secret', keeps: 'AWS_REGION=eu-west-1' },
  { name: 'private key block', input: `loaded key:\n${PRIVATE_KEY}\nok`, secret: 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', kind: 'private-key', keeps: 'loaded key:' },
  { name: 'postgres URL password', input: 'error: password authentication failed for postgres://billing:Tr0ub4dor&3@db.internal:5432/billing', secret: 'Tr0ub4dor&3', kind: 'url-password', keeps: 'postgres://billing:[REDACTED:url-password]@db.internal:5432/billing' },
  { name: 'redis URL with only a password', input: 'connect redis://:s3cr3tP4ss@cache:6379/0', secret: 's3cr3tP4ss', kind: 'url-password' },
  { name: 'password env var', input: 'DB_PASSWORD=hunter2hunter2 npm test', secret: 'hunter2hunter2', kind: 'password', keeps: 'npm test' },
  { name: 'password in JSON with spaces', input: '{"username":"ops","password":"correct horse battery"}', secret: 'correct horse battery', kind: 'password', keeps: '"username":"ops"' },
  { name: 'token in a query string', input: 'GET https://hooks.acme.dev/deploy?token=9f8e7d6c5b4a&env=prod 403', secret: '9f8e7d6c5b4a', kind: 'token', keeps: '&env=prod' },
  { name: 'client secret in YAML', input: 'oauth:\n  client_secret: Zx8Yw7Vu6Ts5', secret: 'Zx8Yw7Vu6Ts5', kind: 'secret' },
  { name: 'session cookie', input: 'Cookie: session_id=8d7f6e5d4c3b2a1', secret: '8d7f6e5d4c3b2a1', kind: 'cookie' },
  { name: 'email of a person', input: 'expected user ada.lovelace@example.com to be admin', secret: 'ada.lovelace@example.com', kind: 'email', keeps: 'to be admin' },
]

describe('redactSecrets', () => {
  it.each(CASES)('$name', ({ input, secret, kind, keeps }) => {
    const r = redactSecrets(input)
    expect(r.text).not.toContain(secret)
    expect(r.counts[kind]).toBeGreaterThanOrEqual(1)
    expect(r.text).toContain(`[REDACTED:`)
    if (keeps) expect(r.text).toContain(keeps)
  })

  it.each([
    'Basic authentication failed: Bearer token missing',
    'password: null, token: undefined, secret: ***',
    'Expected: "hello"\nReceived: "world"',
    'at Object.<anonymous> (/home/runner/work/app/src/pricing.test.ts:42:17)',
    'git@github.com:acme/storefront.git',
    'node_modules/@types/node/index.d.ts and lodash@4.17.21',
    'commit a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    'PWD=/home/runner/work tokenizer: bpe',
    'TimeoutError: locator.click: Timeout 15000ms exceeded.',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecrets(text).text).toBe(text)
  })

  it('removes configured literal secrets whatever they look like', () => {
    const r = redactSecrets('the gateway echoed local-key-1234 back', ['local-key-1234'])
    expect(r.text).toBe('the gateway echoed [REDACTED:configured] back')
    expect(r.counts.configured).toBe(1)
  })

  it('is idempotent: redacting twice changes nothing more', () => {
    const once = redactSecrets(CASES.map(c => c.input).join('\n')).text
    expect(redactSecrets(once).text).toBe(once)
  })
})

describe('createRedactor', () => {
  it('tallies across texts and passes null through', () => {
    const { redact, counts } = createRedactor()
    expect(redact(null)).toBeNull()
    redact('a@example.com')
    redact(`b@example.org and ${JWT}`)
    expect(counts).toEqual({ email: 2, jwt: 1 })
  })
})
