import { createHash } from 'node:crypto'
import type { FailureCategory } from '../../shared/constants'

/** Bump when the normalisation changes: stored clusters of older versions are re-clustered at start. */
export const FINGERPRINT_VERSION = 1

export interface FailureSignal {
  message: string | null
  stack: string | null
}

export interface FailureFingerprint {
  fingerprint: string
  version: number
  errorType: string
  category: FailureCategory
  title: string
  locator: string | null
  location: string | null
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters
const ANSI = /\u001B\[[0-9;]*[A-Za-z]/g
const MASKS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<ts>'],
  [/\bhttps?:\/\/[^\s'"`)>\]]+/g, '<url>'],
  [/\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g, '<email>'],
  [/(?:\/tmp|\/var\/folders|[A-Z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp)[^\s'"`]*/g, '<tmp>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hex>'],
  [/\b\d+(?:\.\d+)?(?:ms|s|m|h)\b/g, '<duration>'],
  [/\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}):\d+\b/g, '<host>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
]
const LOCATOR = /\b(?:locator|getBy(?:Role|Text|Label|Placeholder|AltText|Title|TestId))\(\s*(['"`])(.*?)\1/

const CATEGORIES: [RegExp, FailureCategory][] = [
  [/timeout|timed out|did not respond within/i, 'timeout'],
  [/strict mode violation|element\(s\) not found|waiting for (?:locator|selector)|no node found|unable to find (?:an )?element/i, 'locator'],
  [/ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|connection (?:to .* )?refused|network error|fetch failed|status code 5\d\d/i, 'network'],
  [/out of memory|heap limit|segmentation fault|SIGSEGV|SIGKILL|core dumped|browser has been closed|crash/i, 'crash'],
  [/KeyError: '[A-Z][A-Z0-9_]+'|environment variable|Cannot find module|ModuleNotFoundError|No module named|EACCES|permission denied|No space left/i, 'environment'],
  [/assert|expect\(|expected|to equal|to be\b|but was|AssertionError/i, 'assertion'],
]

/** The message head: ANSI stripped, cut before call logs and stack frames, at most five lines. */
function head(message: string): string {
  const lines: string[] = []
  for (const line of message.slice(0, 4096).replace(ANSI, '').split('\n')) {
    const t = line.trim()
    if (/^(?:Call log:|at |File "|Traceback|\tat |-{3,})/.test(t)) break
    if (t) lines.push(t)
    if (lines.length === 5) break
  }
  return lines.join('\n')
}

/**
 * Masks the volatile parts. Expected/received values go through the same masks rather than being dropped whole:
 * `expected <PAID> but was <PENDING>` (an enum, a cause of its own) must not group with `expected <19.00> but
 * was <19.60>`, while numbers and ids inside them still vary freely.
 */
function normalise(text: string): string {
  let out = text
  for (const [re, mask] of MASKS) out = out.replace(re, mask)
  return out
}

/** The first frame of the stack that is not a library or runtime frame, as "path:line". */
function location(stack: string): string | null {
  for (const line of stack.split('\n').slice(0, 50)) {
    const m = line.match(/\(?((?:[A-Za-z]:)?[^\s():]+\.(?:[cm]?[jt]sx?|py|java|kt|go|cs|rb)):(\d+)/)
    if (m && !/node_modules|node:internal|site-packages|java\.base/.test(m[1]!)) return `${m[1]}:${m[2]}`
  }
  return null
}

/**
 * A stable signature of a failure's root cause: error type, normalised message head and failing locator, hashed.
 * The test's own file is never part of it, so one cause groups across spec files.
 */
export function fingerprintFailure(signal: FailureSignal): FailureFingerprint | null {
  const message = signal.message?.trim() || signal.stack?.trim() || ''
  if (!message) return null
  const text = head(message) || head(signal.stack ?? '') || message.slice(0, 200)
  const both = `${text}\n${(signal.stack ?? '').slice(0, 2000)}`
  const errorType = both.match(/\b((?:[a-z]\w*\.)*[A-Z]\w*(?:Error|Exception|Failure))\b/)?.[1] ?? (/^panic:/m.test(both) ? 'panic' : 'Error')
  const loc = text.match(LOCATOR)
  const locator = loc ? loc[0].replace(/\s+/g, '') : null
  const normalised = normalise(text)
  const category = CATEGORIES.find(([re]) => re.test(both))?.[1] ?? 'unknown'
  const fingerprint = createHash('sha256').update(JSON.stringify([FINGERPRINT_VERSION, errorType, normalised, locator])).digest('hex').slice(0, 24)
  return {
    fingerprint: `v${FINGERPRINT_VERSION}:${fingerprint}`,
    version: FINGERPRINT_VERSION,
    errorType,
    category,
    title: normalised.split('\n')[0]!.slice(0, 200),
    locator,
    location: signal.stack ? location(signal.stack) : null,
  }
}
