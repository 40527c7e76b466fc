import { isIP } from 'node:net'
import { z } from 'zod'
import { DEFAULT_CONTEXT_TOKENS } from '../analysis/context'
import { DEFAULT_FLAKY_OPTIONS } from '../analysis/flakiness'
import { MCP_TOOL_NAMES } from '#shared/constants'
import { passwordSchema } from '#shared/schemas/auth'
import { parseCidr } from './receiver-address'

/**
 * Every setting the server reads from its environment, parsed once by one schema. A wrong value stops the start with
 * a sentence that names the variable, instead of being quietly replaced by a default somewhere deep in a request.
 * An empty value counts as unset (the .env.example lists every variable with an empty value).
 */

const int = (min: number, max: number, fallback: number) => {
  const expected = `a whole number from ${min} to ${max} is expected`
  return z.coerce.number(expected).int(expected).min(min, expected).max(max, expected).default(fallback)
}
const positive = (what: string) => z.coerce.number(`${what} is expected`).positive(`${what} is expected`)
/** An http(s) URL: any other scheme (or "host:port", which reads as one) would make every link built on it unusable. */
const httpUrl = (expected: string) => z.url({ protocol: /^https?$/, error: expected })
const url = (what: string) => httpUrl(`${what} is expected, e.g. https://proofdeck.example.com`).transform(u => u.replace(/\/+$/, ''))
const flag = z.enum(['1', '0', 'true', 'false'], '1 or 0 is expected').transform(v => v === '1' || v === 'true')
/** A comma-separated list whose every entry `known` accepts; the first it does not is named. */
const names = (known: (entry: string) => boolean, hint: string) => z.string().transform((v, ctx) => {
  const entries = v.split(',').map(s => s.trim()).filter(Boolean)
  const bad = entries.find(e => !known(e))
  if (bad) ctx.addIssue({ code: 'custom', message: `"${bad}" ${hint}` })
  return new Set(entries)
})
const tools = names(e => (MCP_TOOL_NAMES as readonly string[]).includes(e), `is no tool; the tools are ${MCP_TOOL_NAMES.join(', ')}`)
const proxies = names(e => isIP(e) !== 0 || parseCidr(e) !== null, 'is not an address or a CIDR like 10.0.0.0/8 (host names are not resolved); list the proxies\' addresses')

const envSchema = z.object({
  PORT: int(0, 65_535, 3000), // 0: any free port (the tests use it)
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string is expected').optional(),
  DATABASE_POOL_SIZE: int(1, 1000, 10),
  DATABASE_READ_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string is expected').optional(),
  PROOFDECK_DATA_DIR: z.string().default('.data/pglite'),
  PROOFDECK_ADMIN_EMAIL: z.email('an email address is expected').optional(),
  PROOFDECK_ADMIN_PASSWORD: z.string().min(passwordSchema.minLength ?? 10, `at least ${passwordSchema.minLength ?? 10} characters are expected, as for any password`).optional(),
  PROOFDECK_DEMO: flag.optional(),
  PROOFDECK_DEMO_SCALE: positive('a positive number (1 = the standard demo)').max(1000, 'at most 1000 is expected').default(1),
  PROOFDECK_MAX_UPLOAD_MB: positive('a positive number of megabytes').default(50),
  PROOFDECK_MAX_UPLOAD_PARTS: int(1, 1000, 50),
  PROOFDECK_MAX_RESULTS: int(1, 10_000_000, 500_000),
  PROOFDECK_INGEST_CONCURRENCY: int(1, 100, 4),
  PROOFDECK_PARSE_WORKERS: int(1, 64, 2),
  PROOFDECK_PARSE_MEMORY_MB: int(64, 16_384, 1024),
  PROOFDECK_HEAP_GROWTH_PERCENT: int(0, 1000, 25),
  PROOFDECK_TRUSTED_PROXIES: proxies.optional(),
  PROOFDECK_BCRYPT_COST: int(4, 15, 12),
  PROOFDECK_PUBLIC_URL: url('the URL people and CI reach this server at').optional(),
  ENABLED_TOOLS: tools.optional(),
  DISABLED_TOOLS: tools.optional(),
  PROOFDECK_FLAKY_WINDOW: int(5, 500, DEFAULT_FLAKY_OPTIONS.window),
  PROOFDECK_INFRA_FAILURE_SHARE: positive('a share above 0 and at most 1').max(1, 'a share above 0 and at most 1 is expected').default(0.5),
  PROOFDECK_CONTEXT_TOKENS: int(1000, 32_000, DEFAULT_CONTEXT_TOKENS),
  PROOFDECK_LLM_PROVIDER: z.string().trim().toLowerCase()
    .pipe(z.enum(['openai', 'anthropic', 'none', 'off', 'rules'], 'openai, anthropic or none is expected')).optional(),
  PROOFDECK_LLM_BASE_URL: httpUrl('an http(s) URL is expected').optional(),
  PROOFDECK_LLM_API_KEY: z.string().optional(),
  PROOFDECK_LLM_MODEL: z.string().optional(),
  PROOFDECK_LLM_PRICE_INPUT: z.coerce.number().min(0, 'USD per million tokens (0 or more) is expected').optional(),
  PROOFDECK_LLM_PRICE_OUTPUT: z.coerce.number().min(0, 'USD per million tokens (0 or more) is expected').optional(),
  PROOFDECK_LLM_TIMEOUT_MS: int(1000, 600_000, 60_000),
  PROOFDECK_WEBHOOK_ALLOWED_HOSTS: z.string().transform((v, ctx) => {
    const entries = v.split(',').map(s => s.trim().toLowerCase()).filter(Boolean)
    const bad = entries.find(e => e.includes('/') && !parseCidr(e))
    if (bad) ctx.addIssue({ code: 'custom', message: `"${bad}" is not a CIDR like 10.0.0.0/8 or fd00::/8; list host names, addresses or CIDRs` })
    return entries
  }).optional(),
  PROOFDECK_WEBHOOK_TIMEOUT_SECONDS: int(1, 60, 10),
  PROOFDECK_WEBHOOK_ATTEMPTS: int(1, 20, 5),
  PROOFDECK_WEBHOOK_RETRY_SECONDS: int(0, 3600, 10),
  PROOFDECK_JOBS_MAINTENANCE_SECONDS: int(1, 3600, 30),
  PROOFDECK_CATCH_UP_SECONDS: int(5, 86_400, 300),
  PROOFDECK_JOBS_POLL_SECONDS: int(1, 300, 5),
  PROOFDECK_RETENTION_DAYS: z.coerce.number('a whole number of days from 1 to 36500 is expected')
    .int('a whole number of days from 1 to 36500 is expected').min(1, 'a whole number of days from 1 to 36500 is expected')
    .max(36_500, 'a whole number of days from 1 to 36500 is expected').optional(),
  PROOFDECK_MAX_ATTACHMENT_MB: positive('a positive number of megabytes').default(20),
  PROOFDECK_MAX_ATTACHMENTS: int(0, 10_000, 500),
  PROOFDECK_BLOB_DRIVER: z.enum(['fs', 's3'], 'fs or s3 is expected').default('fs'),
  PROOFDECK_BLOB_DIR: z.string().default('.data/blobs'),
  PROOFDECK_S3_ENDPOINT: httpUrl('an http(s) URL is expected, e.g. https://s3.eu-central-1.amazonaws.com').optional(),
  PROOFDECK_S3_BUCKET: z.string().optional(),
  PROOFDECK_S3_REGION: z.string().default('auto'),
  PROOFDECK_S3_ACCESS_KEY_ID: z.string().optional(),
  PROOFDECK_S3_SECRET_ACCESS_KEY: z.string().optional(),
  PROOFDECK_BLOB_SWEEP_HOURS: positive('a positive number of hours').default(6),
  PROOFDECK_BLOB_SWEEP_GRACE_SECONDS: int(1, 86_400, 3600),
}).superRefine((e, ctx) => {
  // one without the other was ignored: the server printed the setup link as if neither were set
  for (const [set, missing] of [['PROOFDECK_ADMIN_EMAIL', 'PROOFDECK_ADMIN_PASSWORD'], ['PROOFDECK_ADMIN_PASSWORD', 'PROOFDECK_ADMIN_EMAIL']] as const) {
    if (e[set] && !e[missing]) ctx.addIssue({ code: 'custom', path: [missing], message: `required with ${set} (the first admin needs both)` })
  }
  if (e.PROOFDECK_BLOB_DRIVER !== 's3') return
  for (const name of ['PROOFDECK_S3_ENDPOINT', 'PROOFDECK_S3_BUCKET', 'PROOFDECK_S3_ACCESS_KEY_ID', 'PROOFDECK_S3_SECRET_ACCESS_KEY'] as const) {
    if (!e[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when PROOFDECK_BLOB_DRIVER is s3' })
  }
})

type Env = z.output<typeof envSchema>

export interface Config {
  port: number
  /** null = embedded PGlite in `dataDir`. */
  databaseUrl: string | null
  databasePoolSize: number
  /** A read replica for the read-only service functions (null: every query goes to `databaseUrl`). */
  databaseReadUrl: string | null
  dataDir: string
  admin: { email: string, password: string } | null
  /** null = the default: on in development, off in production. */
  demo: boolean | null
  demoScale: number
  maxUploadBytes: number
  /** Files one multipart upload may carry. */
  maxUploadParts: number
  /** Test results one upload may carry (after merging duplicates). */
  maxResults: number
  /** Uploads one API key may have in flight at once; more get 429 + Retry-After. */
  ingestConcurrency: number
  /** Worker threads that parse reports (uploads beyond wait their turn). */
  parseWorkers: number
  /** Heap cap of one parse worker; a report that needs more is refused (413). */
  parseMemoryMb: number
  /** How far the server's heap may grow past what the last full GC kept, in percent (0: V8's own choice, up to 4×). */
  heapGrowthPercent: number
  /** Proxy addresses whose X-Forwarded-For is believed (client addresses for per-client limits). */
  trustedProxies: Set<string>
  bcryptCost: number
  /** Without a trailing slash; null = each request's own origin. */
  publicUrl: string | null
  tools: { enabled: Set<string>, disabled: Set<string> }
  flakyWindow: number
  infraFailureShare: number
  contextTokens: number
  /** The PROOFDECK_LLM_* variables as set (validated), for the provider resolution in services/llm. */
  llm: Partial<Record<`PROOFDECK_LLM_${string}`, string>>
  webhooks: {
    /** Receivers allowed even on private, loopback or link-local addresses: host names, addresses and CIDRs. */
    allowedHosts: string[]
    timeoutSeconds: number
    /** Tries per delivery, the first included. */
    attempts: number
    /** The first retry waits this long (to twice it); each next one about doubles. */
    retrySeconds: number
  }
  /** How often the job queue retries jobs whose worker died (a restart mid-job) and archives old jobs. */
  jobsMaintenanceSeconds: number
  /** How often webhook deliveries and diagnoses that could not be queued are queued again (services/catch-up.ts). */
  catchUpSeconds: number
  /** How often an idle job worker looks for work queued elsewhere (other instances, retries come due). */
  jobsPollSeconds: number
  /** Where attachment blobs live: a directory, or an S3-compatible bucket (services/blobs.ts). */
  blobs: {
    driver: 'fs' | 's3'
    dir: string
    s3: { endpoint: string, bucket: string, region: string, accessKeyId: string, secretAccessKey: string } | null
    /** One attachment file may be at most this large; the whole body stays within maxUploadBytes. */
    maxFileBytes: number
    /** Attachment files one upload may carry. */
    maxFiles: number
    /** How often the sweep deletes blobs no attachment references any more. */
    sweepHours: number
    /** A blob written more recently than this may be an upload's that has not committed: the sweep leaves it. */
    sweepGraceMs: number
  }
  /** Days of runs kept in projects without their own retention; null = forever. */
  retentionDays: number | null
}

export class ConfigError extends Error {}

/** The oldest Node the server runs on (package.json `engines`; Nuxt 4.4.5 needs 20.19). */
const MINIMUM_NODE = [20, 19] as const

/** A sentence when `version` (process.versions.node) is older than the supported Node, else null. */
export function nodeVersionProblem(version: string): string | null {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const [needMajor, needMinor] = MINIMUM_NODE
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return null
  return `Node ${version} is too old: Proofdeck needs Node ${needMajor}.${needMinor} or later (20.x is what it is tested on).`
}

/** Variables whose values a start-up error must not print: the log is read by more people than the secrets are. */
const SECRET = /PASSWORD|SECRET|API_KEY|_TOKEN$/

function describe(error: z.ZodError, env: Record<string, string | undefined>): string {
  return error.issues.map((i) => {
    const name = String(i.path[0])
    const value = env[name] === undefined ? `${name} is not set` : SECRET.test(name) ? `${name} (not shown)` : `${name} is "${env[name]}"`
    return `${value}: ${i.message.replace(/^Invalid input: /, '')}.`
  }).join(' ')
}

/** Parses the environment (unset and empty variables take their defaults). Throws a ConfigError naming each wrong one. */
export function parseConfig(raw: Record<string, string | undefined>): Config {
  const env = Object.fromEntries(Object.entries(raw).filter(([k, v]) => k in envSchema.shape && v !== undefined && v.trim() !== ''))
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) throw new ConfigError(describe(parsed.error, env))
  const e: Env = parsed.data
  if (e.DATABASE_READ_URL && !e.DATABASE_URL) {
    throw new ConfigError('DATABASE_READ_URL is set without DATABASE_URL: a read replica needs the Postgres primary it copies.')
  }
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL ?? null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseReadUrl: e.DATABASE_READ_URL ?? null,
    dataDir: e.PROOFDECK_DATA_DIR,
    admin: e.PROOFDECK_ADMIN_EMAIL && e.PROOFDECK_ADMIN_PASSWORD
      ? { email: e.PROOFDECK_ADMIN_EMAIL, password: e.PROOFDECK_ADMIN_PASSWORD }
      : null,
    demo: e.PROOFDECK_DEMO ?? null,
    demoScale: e.PROOFDECK_DEMO_SCALE,
    maxUploadBytes: e.PROOFDECK_MAX_UPLOAD_MB * 1024 * 1024,
    maxUploadParts: e.PROOFDECK_MAX_UPLOAD_PARTS,
    maxResults: e.PROOFDECK_MAX_RESULTS,
    ingestConcurrency: e.PROOFDECK_INGEST_CONCURRENCY,
    parseWorkers: e.PROOFDECK_PARSE_WORKERS,
    parseMemoryMb: e.PROOFDECK_PARSE_MEMORY_MB,
    heapGrowthPercent: e.PROOFDECK_HEAP_GROWTH_PERCENT,
    trustedProxies: e.PROOFDECK_TRUSTED_PROXIES ?? new Set(),
    bcryptCost: e.PROOFDECK_BCRYPT_COST,
    publicUrl: e.PROOFDECK_PUBLIC_URL ?? null,
    tools: { enabled: e.ENABLED_TOOLS ?? new Set(), disabled: e.DISABLED_TOOLS ?? new Set() },
    flakyWindow: e.PROOFDECK_FLAKY_WINDOW,
    infraFailureShare: e.PROOFDECK_INFRA_FAILURE_SHARE,
    contextTokens: e.PROOFDECK_CONTEXT_TOKENS,
    llm: Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('PROOFDECK_LLM_'))),
    webhooks: {
      allowedHosts: e.PROOFDECK_WEBHOOK_ALLOWED_HOSTS ?? [],
      timeoutSeconds: e.PROOFDECK_WEBHOOK_TIMEOUT_SECONDS,
      attempts: e.PROOFDECK_WEBHOOK_ATTEMPTS,
      retrySeconds: e.PROOFDECK_WEBHOOK_RETRY_SECONDS,
    },
    jobsMaintenanceSeconds: e.PROOFDECK_JOBS_MAINTENANCE_SECONDS,
    catchUpSeconds: e.PROOFDECK_CATCH_UP_SECONDS,
    jobsPollSeconds: e.PROOFDECK_JOBS_POLL_SECONDS,
    blobs: {
      driver: e.PROOFDECK_BLOB_DRIVER,
      dir: e.PROOFDECK_BLOB_DIR,
      s3: e.PROOFDECK_BLOB_DRIVER === 's3'
        ? {
            endpoint: e.PROOFDECK_S3_ENDPOINT!, bucket: e.PROOFDECK_S3_BUCKET!, region: e.PROOFDECK_S3_REGION,
            accessKeyId: e.PROOFDECK_S3_ACCESS_KEY_ID!, secretAccessKey: e.PROOFDECK_S3_SECRET_ACCESS_KEY!,
          }
        : null,
      maxFileBytes: e.PROOFDECK_MAX_ATTACHMENT_MB * 1024 * 1024,
      maxFiles: e.PROOFDECK_MAX_ATTACHMENTS,
      sweepHours: e.PROOFDECK_BLOB_SWEEP_HOURS,
      sweepGraceMs: e.PROOFDECK_BLOB_SWEEP_GRACE_SECONDS * 1000,
    },
    retentionDays: e.PROOFDECK_RETENTION_DAYS ?? null,
  }
}

let current: Config | undefined

/** The server's configuration, parsed from the environment on first use (the startup plugin makes that first use). */
export function useConfig(): Config {
  return current ??= parseConfig(process.env)
}

/**
 * The origin people, CI and agents reach this server at: PROOFDECK_PUBLIC_URL when set (behind a proxy the
 * request's own origin can be an internal one), else the origin the request came to. Every link the server
 * prints or returns starts with it.
 */
export function publicBaseUrl(requestOrigin: string): string {
  return useConfig().publicUrl ?? requestOrigin.replace(/\/+$/, '')
}

let firstVisit: string | undefined

/** Remembers the origin of the first page visit (a browser's); true the one time it is taken. */
export function rememberFirstVisit(origin: string): boolean {
  if (firstVisit || useConfig().publicUrl) return false
  firstVisit = origin.replace(/\/+$/, '')
  return true
}

/**
 * The base of the links the server hands out (receipts, key hints, the pages' snippets): PROOFDECK_PUBLIC_URL, else
 * the origin this server was first visited at in a browser, else the request's. One origin for all of them, because
 * a session cookie set at localhost is not sent to 127.0.0.1: a CLI uploading to 127.0.0.1 gets links that open
 * where the person is signed in.
 */
export function linksBaseUrl(requestOrigin: string): string {
  return useConfig().publicUrl ?? firstVisit ?? requestOrigin.replace(/\/+$/, '')
}
