/**
 * What the rules read out of an error message: the locator, the expected and received values, what a timeout waited
 * for, the host and port of a network error. Pure.
 */

/** The first match of several patterns, tried in order. */
export const first = (text: string, ...res: RegExp[]): RegExpMatchArray | null => {
  for (const re of res) {
    const m = text.match(re)
    if (m) return m
  }
  return null
}

export const clip = (s: string | undefined, n = 120) => s == null ? undefined : (s = s.trim(), s.length > n ? `${s.slice(0, n)}…` : s)

/** A waited time as the message gave it: `15000` reads as milliseconds, `45s` as it is. */
export const duration = (ms: string) => `${ms}${/\d$/.test(ms) ? 'ms' : ''}`

/** One pattern from alternatives listed one a line: the same regex as `/a|b|c/`, readable when the list is long. */
export const anyOf = (flags: string, ...parts: RegExp[]) => new RegExp(parts.map(p => p.source).join('|'), flags)

const WELL_KNOWN_PORTS: Record<string, string> = {
  5432: 'PostgreSQL', 3306: 'MySQL', 6379: 'Redis', 27017: 'MongoDB', 9200: 'Elasticsearch', 5672: 'RabbitMQ', 9092: 'Kafka',
  11211: 'memcached', 4444: 'Selenium', 1433: 'SQL Server', 1521: 'Oracle', 2181: 'ZooKeeper', 8500: 'Consul', 4566: 'LocalStack',
}

/** The locator a Playwright / Cypress / Selenium / Testing Library message is about. */
export function extractLocator(text: string): string | undefined {
  const m = first(text,
    /strict mode violation:\s*(.+?)\s+resolved to \d+ elements/i,
    /^\s*Locator:\s*(.+)$/m,
    /waiting for ((?:locator|getBy\w+|page\.locator|frameLocator)\(.*\))/,
    /Expected to find element:\s*`?(.+?)`?,\s*but never found it/i,
    /Unable to (?:locate|find) (?:an )?element(?: with| by)?:?\s*(.+)/i,
    /(?:No node found for|waiting for) selector\s*["'`](.+?)["'`]/i,
    /NoSuchElementException:.*?(\{.+?\})/,
  )
  return clip(m?.[1]?.replace(/\.?\s*$/, ''), 160)
}

const NETWORK_CODE = new RegExp(`\\b(${[
  'socket hang up', 'fetch failed', 'Connection refused', 'connection reset by peer', 'Max retries exceeded', 'certificate has expired',
  'self[- ]signed certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
].join('|')})\\b`, 'i')

const HTTP_STATUS_TEXT = new RegExp(`\\b([45]\\d\\d)\\s+(?:${[
  'Bad Gateway', 'Service Unavailable', 'Gateway Time-?out', 'Internal Server Error', 'Not Found', 'Unauthorized', 'Forbidden',
  'Too Many Requests', 'Bad Request',
].join('|')})`, 'i')

/** Host, port (and the service usually behind it), HTTP status and error code of a network failure. */
export function networkFacts(text: string): Record<string, string | undefined> {
  const hostPort = first(text,
    /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\s+(\[[\da-f:]+\]|[\w.-]+):(\d{2,5})/i,
    /Connection to ([\w.-]+):(\d{2,5}) refused/i,
    /host='([^']+)',\s*port=(\d{2,5})/,
    /dial tcp (\[[\da-f:]+\]|[\w.-]+):(\d{2,5})/,
    /(?:connect(?:ion)?|connecting) to (?:https?:\/\/)?([\w.-]+):(\d{2,5})/i,
    /https?:\/\/([\w.-]+):(\d{2,5})/,
  )
  const hostOnly = first(text,
    /connect E[A-Z]+ (\/\S+)/, /getaddrinfo \w+ ([\w.-]+)/, /UnknownHostException:\s*([\w.-]+)/, /no such host[^\n]*?([\w-]+\.[\w.-]+)/i,
    /https?:\/\/([\w.-]+)/,
  )
  const status = first(text,
    /(?:status(?: code)?|HTTP(?:\/[\d.]+)?)\s*[:=]?\s*([1-5]\d\d)\b/i,
    HTTP_STATUS_TEXT,
  )
  const code = first(text,
    /\b(E(?:CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|PIPE|AI_AGAIN|NOTFOUND))\b/,
    /\bconnect (ENOENT)\b/, /\b(net::ERR_[A-Z_]+)/,
    NETWORK_CODE,
  )
  // ports in the ephemeral range are the other side's random ports: they name no service
  const port = hostPort?.[2] && Number(hostPort[2]) < 32768 ? hostPort[2] : undefined
  return {
    host: hostPort?.[1] ?? hostOnly?.[1],
    port,
    service: port ? WELL_KNOWN_PORTS[port] : undefined,
    status: status?.[1],
    code: code?.[1],
  }
}

/** Assertion wordings with their two values, in the order the framework prints them ('er': expected first). */
const EXPECTATION_PAIRS: [RegExp, 'er' | 're'][] = [
  [/^\s*Expected(?: value| string| substring| pattern| length)?:\s*(.+)\n(?:.*\n)??\s*Received(?: value| string| length)?:\s*(.+)$/m, 'er'],
  [/expected:\s*<(.*?)>\s*but was:\s*<(.*?)>/i, 'er'],
  [/Expected:\s*<(.*?)>\.\s*Actual:\s*<(.*?)>/i, 'er'],
  [/^\s*Expected:\s*(.+)\n\s*Actual:\s*(.+)$/m, 'er'],
  [/^\s*Expected:\s*(.+)\n\s*But was:\s*(.+)$/im, 'er'],
  [/^\s*left:\s*(.+)\n\s*right:\s*(.+)$/m, 're'],
  [/Failed asserting that (.+?) (?:matches expected|is identical to|is equal to|equals|is) (.+?)\.?$/m, 're'],
  [/^\s*expected\s*:\s*(.+)\n\s*(?:got|actual)\s*:\s*(.+)$/im, 'er'],
  [/^\s*(.+?) !== (.+)$/m, 're'],
  // chai, and Vitest's wording of it, which adds a comment after the value ("expected 91 to be 90 // Object.is equality")
  [/expected (.+?) to (?:deeply |strictly )?(?:equal|be|eql|have length of|include|contain|match) (.+?)(?: \/\/ [^\n]*)?(?:\n|$)/i, 're'],
  [/\bassert (.+?) == (.+?)(?:\n|$)/, 're'],
  [/(?:\bgot:?|=)\s*(.+?),\s*want:?\s*(.+?)$/m, 're'],
]

/** Expected and received values of an assertion, whatever the framework's wording. */
export function extractExpectation(text: string): { expected?: string, received?: string, matcher?: string } {
  const matcher = text.match(/(expect\([^)]*\)\.(?:not\.)?\w+\([^)]*\))/)?.[1]
  for (const [re, order] of EXPECTATION_PAIRS) {
    const m = text.match(re)
    if (!m) continue
    const [a, b] = [clip(m[1]), clip(m[2])]
    return order === 'er' ? { expected: a, received: b, matcher } : { expected: b, received: a, matcher }
  }
  return { matcher }
}

const WAIT_MS = [
  /Timeout (?:of )?(\d+)\s?ms/i, /timeout of (\d+)\s?ms/i, /Exceeded timeout of (\d+)\s?ms/i, /within (\d+(?:\.\d+)?\s?s)\b/i,
  /Timeout\s*>\s*([\d.]+s)/i, /timed out after (\d+\w*)/i, /after (\d+(?:\.\d+)?\s?(?:ms|s|m))\b/i,
]

/** What a timeout was waiting for, in words, from Playwright call logs and the usual runner messages. */
export function extractWait(text: string): { waitingFor?: string, ms?: string } {
  const ms = first(text, ...WAIT_MS)?.[1]
  const resolved = /resolved to|locator resolved/i.test(text)
  const waits = [...text.matchAll(/waiting for (.+)$/gim)].map(m => m[1]!.trim())
  let waitingFor: string | undefined
  const actionability = waits.find(w => /element to be|to be (?:visible|enabled|stable|attached|editable)|receives pointer events/i.test(w))
  if (resolved && actionability) waitingFor = `the element to become actionable (${actionability.replace(/^element to be /i, '')})`
  else if (waits.length) waitingFor = waits[0]!
  const nav = text.match(/navigating to "([^"]+)", waiting until "(\w+)"/)
  if (nav) waitingFor = `the navigation to ${nav[1]} to reach "${nav[2]}"`
  if (!waitingFor) waitingFor = otherWait(text)
  if (!waitingFor && /Test timeout of \d+ms exceeded/i.test(text)) waitingFor = 'the whole test to finish within its test timeout'
  return { waitingFor: clip(waitingFor, 160), ms }
}

/** The wait named outside a call log: a waitFor helper, a done() callback, a worker that did not respond. */
function otherWait(text: string): string | undefined {
  const other = first(text,
    /(waitFor\w+\([^)]*\))/,
    /(done\(\)" is called|ensure "done\(\)")/,
    /(\w+)(?:\s+[\w-]{8,})? did not respond/i,
    /waiting for ([^\n.]+)/i,
  )
  if (other?.[1]?.includes('done()')) return 'the test to finish (a done() callback never called, or a promise that never settles)'
  if (other?.[0]?.includes('did not respond')) return `a response from the ${other[1]}`
  if (other) return other[1]
  return undefined
}

/** The message opens with an exception that is not an assertion's own (`KeyError: 'price'`, `E   TypeError: …`). */
export function opensWithException(text: string): boolean {
  return /^\s*(?:E\s+)?(?:[\w$]+\.)*(?!Assert|Comparison|Expectation|MultipleFailures)[\w$]+(?:Error|Exception) ?:/.test(text)
}

/** A Go goroutine frame's file line ("\t/builds/acme/ledger/money/parse.go:41 +0x1a") outside Go's own tree and module cache. */
const GO_CODE_FRAME = /^\t(?!\S*\/go\/src\/|\S*\/pkg\/mod\/|\/usr\/(?:local\/)?(?:lib\/)?go\/)\S+\.go:\d+/m

/**
 * A Go runtime error (a nil pointer dereference, an index out of range) whose goroutine stack runs through the
 * program's own code: a bug at that frame, not a process that died, though Go reports a nil pointer with SIGSEGV.
 */
export function goRuntimeErrorInCode(text: string): boolean {
  return /^\s*panic: runtime error: /m.test(text) && GO_CODE_FRAME.test(text)
}
