/**
 * Secret redaction for anything that leaves the database towards a person or a model: error messages, stacks,
 * logs, step titles, commit messages. Pure; each replacement says what kind of secret stood there
 * (`[REDACTED:bearer]`) so a reader knows something was removed and why, without learning any of it.
 */

export type SecretKind
  = | 'private-key' | 'url-password' | 'jwt' | 'authorization' | 'bearer' | 'basic' | 'api-key' | 'aws-key'
    | 'password' | 'token' | 'secret' | 'cookie' | 'email' | 'configured'

export interface Redaction {
  text: string
  counts: Partial<Record<SecretKind, number>>
}

const mark = (kind: SecretKind) => `[REDACTED:${kind}]`

/** Values that are clearly not secrets, so `password: null` stays readable. */
const HARMLESS = /^(?:null|undefined|none|nil|true|false|\*+|x+|<[^>]*>|\[REDACTED[^\]]*\]?|\$\{[^}]*\}?|\$[A-Z_]+|%s|"|')$/i

interface Rule {
  kind: SecretKind | ((match: RegExpExecArray) => SecretKind)
  re: RegExp
  /** Builds the replacement from the match; default: the whole match becomes the marker. */
  replace?: (m: RegExpExecArray, marker: string) => string | null
}

// Token formats that identify themselves by prefix. Order inside does not matter; each is anchored on a word edge.
const KNOWN_TOKENS = [
  /\bpd_[A-Za-z0-9]{16,}/, // Proofdeck API keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/, // GitHub
  /\bgithub_pat_\w{30,}/,
  /\bglpat-[\w-]{20,}/, // GitLab
  /\bsk-(?:proj-|ant-(?:api|admin)\d{2}-|svcacct-)?[\w-]{20,}/, // OpenAI, Anthropic
  /\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}/, // Stripe
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack
  /\bAIza[\w-]{35}/, // Google
  /\bnpm_[A-Za-z0-9]{36}/, // npm
  /\bhf_[A-Za-z]{30,}/, // Hugging Face
  /\bSG\.[\w-]{16,}\.[\w-]{20,}/, // SendGrid
  /https:\/\/hooks\.slack\.com\/services\/[\w/]+/, // Slack webhooks
]

const SECRET_NAMES = String.raw`[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|session[_-]?id|cookie|auth[_-]?key)`

const RULES: Rule[] = [
  {
    kind: 'private-key',
    re: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
  },
  {
    // scheme://user:password@host: the user stays, the password goes
    kind: 'url-password',
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"]*):([^\s@/'"]+)@/gi,
    replace: (m, marker) => HARMLESS.test(m[3]!) ? null : `${m[1]}${m[2]}:${marker}@`,
  },
  { kind: 'jwt', re: /\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{5,}/g },
  {
    // Authorization: Bearer xyz / "authorization": "Basic xyz" / Proxy-Authorization=…
    kind: 'authorization',
    re: /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)((?:bearer|basic|token|digest|negotiate|apikey|key)\s+)?([^\s"',;]+)/gi,
    replace: (m, marker) => HARMLESS.test(m[4]!) ? null : `${m[1]}${m[2]}${m[3] ?? ''}${marker}`,
  },
  {
    kind: 'bearer',
    re: /\b(bearer\s+)([\w.~+/=-]{8,})/gi,
    replace: (m, marker) => /\d/.test(m[2]!) || m[2]!.length >= 16 ? `${m[1]}${marker}` : null,
  },
  {
    kind: 'basic',
    re: /\b(basic\s+)([A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])/gi,
    replace: (m, marker) => /[\d+/=]/.test(m[2]!) ? `${m[1]}${marker}` : null,
  },
  ...KNOWN_TOKENS.map(re => ({ kind: 'api-key' as const, re: new RegExp(re.source, 'g') })),
  { kind: 'aws-key', re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  {
    // NAME=value, NAME: value, "name": "value" where the name says it is secret (DB_PASSWORD, GITHUB_TOKEN, x-api-key…)
    kind: m => /pass/i.test(m[1]!) ? 'password' : /token/i.test(m[1]!) ? 'token' : /cookie|session/i.test(m[1]!) ? 'cookie' : 'secret',
    re: new RegExp(String.raw`\b(${SECRET_NAMES})(["']?\s*(?:=|:)\s*)(?:"([^"\n]{1,300})"|'([^'\n]{1,300})'|([^\s"'&,;}<>\]\[]{3,}))`, 'gi'),
    replace: (m, marker) => {
      const value = m[3] ?? m[4] ?? m[5]!
      if (HARMLESS.test(value)) return null
      const quote = m[3] != null ? '"' : m[4] != null ? '\'' : ''
      return `${m[1]}${m[2]}${quote}${marker}${quote}`
    },
  },
  // git@github.com:org/repo is an address of a repository, not of a person
  { kind: 'email', re: /\b(?!git@)[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
]

/**
 * Replaces secrets in `text`. `literals` are exact strings that must never appear (a configured provider key, the
 * server secret): they are removed first, whatever they look like.
 */
export function redactSecrets(text: string, literals: readonly string[] = []): Redaction {
  const counts: Partial<Record<SecretKind, number>> = {}
  const bump = (kind: SecretKind) => {
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  let out = text
  for (const literal of literals) {
    if (literal.length < 6 || !out.includes(literal)) continue
    const parts = out.split(literal)
    for (let i = 1; i < parts.length; i++) bump('configured')
    out = parts.join(mark('configured'))
  }
  for (const rule of RULES) {
    rule.re.lastIndex = 0
    out = out.replace(rule.re, (...args: unknown[]) => {
      // String.replace passes (match, ...groups, offset, input); none of these patterns has named groups
      const m = args.slice(0, -2) as unknown as RegExpExecArray
      const kind = typeof rule.kind === 'function' ? rule.kind(m) : rule.kind
      const replaced = rule.replace ? rule.replace(m, mark(kind)) : mark(kind)
      if (replaced == null) return m[0]
      bump(kind)
      return replaced
    })
  }
  return { text: out, counts }
}

/** Redacts and keeps a running tally across many texts (one context bundle). */
export function createRedactor(literals: readonly string[] = []) {
  const counts: Partial<Record<SecretKind, number>> = {}
  function redact(text: string): string
  function redact(text: string | null | undefined): string | null
  function redact(text: string | null | undefined): string | null {
    if (text == null) return null
    const r = redactSecrets(text, literals)
    for (const [k, n] of Object.entries(r.counts)) counts[k as SecretKind] = (counts[k as SecretKind] ?? 0) + n
    return r.text
  }
  return { redact, counts }
}
