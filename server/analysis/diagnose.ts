/**
 * The rule engine: a diagnosis of one failure cluster from its context bundle, with no network. Every claim cites
 * a run (and result) and quotes the line it rests on; the investigation steps follow the classic debugging
 * discipline (reproduce, look at the actual values, divide and conquer, change one thing, check the plug, verify
 * the fix), filled in with the facts of this case. Pure.
 */
import type { FailureCategory } from '../../shared/constants'
import type { ClusterContextData, ContextAffectedTest, ContextError, DiagnosisEvidenceItem } from '../../shared/types/diagnosis'
import { stripAnsi } from './context'

export interface RuleDiagnosis {
  /** Which rule decided (for tests, accuracy reports and the UI). */
  rule: RuleId
  category: FailureCategory
  summary: string
  rootCause: string
  evidence: DiagnosisEvidenceItem[]
  suggestedFix: string
  investigationSteps: string[]
  confidence: number
}

export type RuleId
  = | 'infrastructure' | 'flaky'
    | 'out-of-memory' | 'process-crash' | 'missing-env-var' | 'module-not-found' | 'permission-denied' | 'disk-full'
    | 'missing-file' | 'test-setup' | 'network' | 'strict-mode' | 'locator-not-found' | 'element-not-actionable' | 'timeout' | 'assertion'
    | 'exception' | 'unknown'

/** What one error message says, as a rule sees it. */
export interface Finding {
  rule: RuleId
  category: FailureCategory
  /** The line the rule matched, quoted in evidence. */
  line: string
  facts: Record<string, string>
  /** How sure the rule is on its own, 0..1. */
  strength: number
}

interface MessageRule {
  rule: RuleId
  category: FailureCategory
  strength: number
  match: RegExp
  /** Extra condition on the whole text. */
  when?: (text: string) => boolean
  facts?: (text: string, line: string) => Record<string, string | undefined>
}

const first = (text: string, ...res: RegExp[]): RegExpMatchArray | null => {
  for (const re of res) {
    const m = text.match(re)
    if (m) return m
  }
  return null
}
const clip = (s: string | undefined, n = 120) => s == null ? undefined : (s = s.trim(), s.length > n ? `${s.slice(0, n)}…` : s)

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

function networkFacts(text: string): Record<string, string | undefined> {
  const hostPort = first(text,
    /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\s+(\[[\da-f:]+\]|[\w.-]+):(\d{2,5})/i,
    /Connection to ([\w.-]+):(\d{2,5}) refused/i,
    /host='([^']+)',\s*port=(\d{2,5})/,
    /dial tcp (\[[\da-f:]+\]|[\w.-]+):(\d{2,5})/,
    /(?:connect(?:ion)?|connecting) to (?:https?:\/\/)?([\w.-]+):(\d{2,5})/i,
    /https?:\/\/([\w.-]+):(\d{2,5})/,
  )
  const hostOnly = first(text, /connect E[A-Z]+ (\/\S+)/, /getaddrinfo \w+ ([\w.-]+)/, /UnknownHostException:\s*([\w.-]+)/, /no such host[^\n]*?([\w-]+\.[\w.-]+)/i, /https?:\/\/([\w.-]+)/)
  const status = first(text,
    /(?:status(?: code)?|HTTP(?:\/[\d.]+)?)\s*[:=]?\s*([1-5]\d\d)\b/i,
    /\b([45]\d\d)\s+(?:Bad Gateway|Service Unavailable|Gateway Time-?out|Internal Server Error|Not Found|Unauthorized|Forbidden|Too Many Requests|Bad Request)/i,
  )
  const code = first(text, /\b(E(?:CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|PIPE|AI_AGAIN|NOTFOUND))\b/, /\bconnect (ENOENT)\b/, /\b(net::ERR_[A-Z_]+)/, /\b(socket hang up|fetch failed|Connection refused|connection reset by peer|Max retries exceeded|certificate has expired|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\b/i)
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

/** Expected and received values of an assertion, whatever the framework's wording. */
export function extractExpectation(text: string): { expected?: string, received?: string, matcher?: string } {
  const matcher = text.match(/(expect\([^)]*\)\.(?:not\.)?\w+\([^)]*\))/)?.[1]
  const pairs: [RegExp, 'er' | 're'][] = [
    [/^\s*Expected(?: value| string| substring| pattern| length)?:\s*(.+)\n(?:.*\n)??\s*Received(?: value| string| length)?:\s*(.+)$/m, 'er'],
    [/expected:\s*<(.*?)>\s*but was:\s*<(.*?)>/i, 'er'],
    [/Expected:\s*<(.*?)>\.\s*Actual:\s*<(.*?)>/i, 'er'],
    [/^\s*Expected:\s*(.+)\n\s*Actual:\s*(.+)$/m, 'er'],
    [/^\s*Expected:\s*(.+)\n\s*But was:\s*(.+)$/im, 'er'],
    [/^\s*left:\s*(.+)\n\s*right:\s*(.+)$/m, 're'],
    [/Failed asserting that (.+?) (?:matches expected|is identical to|is equal to|equals|is) (.+?)\.?$/m, 're'],
    [/^\s*expected\s*:\s*(.+)\n\s*(?:got|actual)\s*:\s*(.+)$/im, 'er'],
    [/^\s*(.+?) !== (.+)$/m, 're'],
    [/expected (.+?) to (?:deeply |strictly )?(?:equal|be|eql|have length of|include|contain|match) (.+?)(?:\n|$)/i, 're'],
    [/\bassert (.+?) == (.+?)(?:\n|$)/, 're'],
    [/(?:\bgot:?|=)\s*(.+?),\s*want:?\s*(.+?)$/m, 're'],
  ]
  for (const [re, order] of pairs) {
    const m = text.match(re)
    if (!m) continue
    const [a, b] = [clip(m[1]), clip(m[2])]
    return order === 'er' ? { expected: a, received: b, matcher } : { expected: b, received: a, matcher }
  }
  return { matcher }
}

/** What a timeout was waiting for, in words, from Playwright call logs and the usual runner messages. */
export function extractWait(text: string): { waitingFor?: string, ms?: string } {
  const ms = first(text, /Timeout (?:of )?(\d+)\s?ms/i, /timeout of (\d+)\s?ms/i, /Exceeded timeout of (\d+)\s?ms/i, /within (\d+(?:\.\d+)?\s?s)\b/i, /Timeout\s*>\s*([\d.]+s)/i, /timed out after (\d+\w*)/i, /after (\d+(?:\.\d+)?\s?(?:ms|s|m))\b/i)?.[1]
  const resolved = /resolved to|locator resolved/i.test(text)
  const waits = [...text.matchAll(/waiting for (.+)$/gim)].map(m => m[1]!.trim())
  let waitingFor: string | undefined
  const actionability = waits.find(w => /element to be|to be (?:visible|enabled|stable|attached|editable)|receives pointer events/i.test(w))
  if (resolved && actionability) waitingFor = `the element to become actionable (${actionability.replace(/^element to be /i, '')})`
  else if (waits.length) waitingFor = waits[0]!
  const nav = text.match(/navigating to "([^"]+)", waiting until "(\w+)"/)
  if (nav) waitingFor = `the navigation to ${nav[1]} to reach "${nav[2]}"`
  if (!waitingFor) {
    const other = first(text,
      /(waitFor\w+\([^)]*\))/,
      /(done\(\)" is called|ensure "done\(\)")/,
      /(\w+)(?:\s+[\w-]{8,})? did not respond/i,
      /waiting for ([^\n.]+)/i,
    )
    if (other?.[1]?.includes('done()')) waitingFor = 'the test to finish (a done() callback never called, or a promise that never settles)'
    else if (other?.[0]?.includes('did not respond')) waitingFor = `a response from the ${other[1]}`
    else if (other) waitingFor = other[1]
  }
  if (!waitingFor && /Test timeout of \d+ms exceeded/i.test(text)) waitingFor = 'the whole test to finish within its test timeout'
  return { waitingFor: clip(waitingFor, 160), ms }
}

/** The message opens with an exception that is not an assertion's own (`KeyError: 'price'`, `E   TypeError: …`). */
function opensWithException(text: string): boolean {
  return /^\s*(?:E\s+)?(?:[\w$]+\.)*(?!Assert|Comparison|Expectation|MultipleFailures)[\w$]+(?:Error|Exception) ?:/.test(text)
}

const MESSAGE_RULES: MessageRule[] = [
  {
    rule: 'out-of-memory', category: 'crash', strength: 0.85,
    match: /JavaScript heap out of memory|Reached heap limit|OutOfMemoryError|\bMemoryError\b|out of memory|Cannot allocate memory|\bENOMEM\b|exit code 137|OOMKilled|reaching (?:the )?memory limit/i,
  },
  {
    rule: 'process-crash', category: 'crash', strength: 0.75,
    match: /Segmentation fault|\bSIG(?:SEGV|ABRT|KILL|BUS|ILL)\b|core dumped|Page crashed|Target (?:page, context or browser|crashed)|browser has (?:been )?(?:closed|disconnected)|Browser closed|worker (?:process )?(?:has )?(?:exited|crashed|terminated) unexpectedly|process (?:exited|terminated) unexpectedly|Worker terminated|^fatal error:|panic: (?!test timed out)|Abort trap/im,
    // a page closed because the test timeout fired is a timeout, not a crash
    when: text => !/Test timeout of \d+\s?ms exceeded/i.test(text),
    facts: text => ({ signal: text.match(/\b(SIG[A-Z]+|exitCode=\d+|exit code \d+)\b/)?.[1] }),
  },
  {
    // go test: the package failed but no test did, so the test binary itself exited non-zero (os.Exit, log.Fatal in TestMain)
    rule: 'process-crash', category: 'crash', strength: 0.6,
    match: /^FAIL\t\S+\t[\d.]+s\s*$/m,
    when: text => !/^\s*--- FAIL:/m.test(text),
  },
  {
    rule: 'missing-env-var', category: 'environment', strength: 0.85,
    match: /(?:environment variable|env var(?:iable)?)\s*[:"'`]?\s*[A-Z][A-Z0-9_]{2,}|\b[A-Z][A-Z0-9_]{2,}\b["'`]? (?:is not set|not set|is undefined|must be set|is required|is missing)|KeyError: ['"][A-Z][A-Z0-9_]{2,}['"]|key not found: "[A-Z][A-Z0-9_]{2,}"|required key [A-Z][A-Z0-9_]+ missing|process\.env\.[A-Z][A-Z0-9_]+ is (?:undefined|not set)/,
    facts: text => ({
      variable: first(text,
        /(?:environment variable|env var(?:iable)?)\s*[:"'`]?\s*([A-Z][A-Z0-9_]{2,})/,
        /\b([A-Z][A-Z0-9_]{2,})\b["'`]? (?:is not set|not set|is undefined|must be set|is required|is missing)/,
        /KeyError: ['"]([A-Z][A-Z0-9_]{2,})['"]/,
        /key not found: "([A-Z][A-Z0-9_]{2,})"/,
        /required key ([A-Z][A-Z0-9_]+) missing/,
        /process\.env\.([A-Z][A-Z0-9_]+)/,
      )?.[1],
    }),
  },
  {
    rule: 'module-not-found', category: 'environment', strength: 0.85,
    match: /Cannot find (?:module|package) ['"]|Module not found|ModuleNotFoundError|No module named|ImportError: cannot import name|ERR_MODULE_NOT_FOUND|ClassNotFoundException|NoClassDefFoundError|cannot find package "|LoadError: cannot load such file|Could not load file or assembly/,
    facts: text => ({
      module: first(text,
        /Cannot find (?:module|package) ['"]([^'"]+)['"]/,
        /Can't resolve ['"]([^'"]+)['"]/,
        /No module named ['"]?([\w.]+)['"]?/,
        /cannot import name ['"]([^'"]+)['"]/,
        /(?:ClassNotFoundException|NoClassDefFoundError):\s*([\w.$/]+)/,
        /cannot find package "([^"]+)"/,
        /cannot load such file -- (\S+)/,
        /Could not load file or assembly '([^',]+)/,
      )?.[1],
    }),
  },
  {
    rule: 'disk-full', category: 'environment', strength: 0.85,
    match: /No space left on device|\bENOSPC\b|Disk quota exceeded/i,
    facts: text => ({ path: text.match(/No space left on device:?\s*['"]?([^'"\n]+)/i)?.[1] }),
  },
  {
    rule: 'permission-denied', category: 'environment', strength: 0.8,
    match: /\bEACCES\b|\bEPERM\b|Permission denied|PermissionError|AccessDeniedException|Operation not permitted/i,
    facts: text => ({ path: first(text, /(?:EACCES|EPERM)[^,\n]*,\s*\w+\s+['"]([^'"]+)['"]/, /Permission denied:?\s*['"]([^'"]+)['"]/, /AccessDeniedException:\s*(\S+)/, /Permission denied[^\n]*?(\/[\w./-]+)/)?.[1] }),
  },
  {
    rule: 'missing-file', category: 'environment', strength: 0.7,
    match: /Executable doesn't exist|command not found|ENOENT: no such file or directory|FileNotFoundError|FileNotFoundException|DirectoryNotFoundException|Could not find (?:a part of )?the path|Could not find file|No such file or directory|not recognized as an internal or external command/i,
    facts: text => ({ path: first(text, /Executable doesn't exist at (\S+)/, /Could not find (?:a part of )?the path ["']([^"']+)["']/, /Could not find file ["']([^"']+)["']/, /ENOENT: no such file or directory,\s*\w+\s+['"]([^'"]+)['"]/, /No such file or directory:?\s*['"]([^'"]+)['"]/, /FileNotFound(?:Error|Exception):?[^'"\n]*['"]?([^'"\n]+)/, /(\S+): command not found/)?.[1] }),
  },
  {
    // an assertion that merely mentions a status code is an assertion; these are the transport's own words
    rule: 'network', category: 'network', strength: 0.8,
    match: /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND)\b|\bconnect ENOENT\b|\b(?:connection|connect|gateway|socket|read) (?:timeout|time-out|timed out)\b|(?:socket\.timeout|TimeoutError): timed out\s*(?:\n|$)|\b(?:Read|Connect)Timeout(?:Error)?\b|socket hang up|net::ERR_[A-Z_]+|Connection (?:to \S+ )?refused|connection reset|getaddrinfo|Name or service not known|Temporary failure in name resolution|fetch failed|Network ?Error|Network request failed|ConnectException|UnknownHostException|SocketTimeoutException|Max retries exceeded|dial tcp|no such host|certificate has expired|self[- ]signed certificate|TLS handshake|Network Timeout|Request failed with status code [45]\d\d|\b(?:502|503|504) (?:Bad Gateway|Service Unavailable|Gateway Time-?out)/i,
    facts: networkFacts,
  },
  {
    rule: 'strict-mode', category: 'locator', strength: 0.9,
    match: /strict mode violation/i,
    facts: text => ({ locator: extractLocator(text), count: text.match(/resolved to (\d+) elements/)?.[1] }),
  },
  {
    rule: 'locator-not-found', category: 'locator', strength: 0.75,
    match: /element\(s\) not found|\belement not found\b|No node found for selector|Unable to (?:locate|find) (?:an )?element|NoSuchElementException|but never found it|TestingLibraryElementError|Received: <element\(s\) not found>|waiting for (?:locator|getBy\w+|selector)/i,
    // a timeout whose call log shows the element was found is an actionability wait, and a web-first assertion with a
    // received value found its element: neither is a missing element
    when: text => /element\(s\) not found/i.test(text) || (!/resolved to|locator resolved/i.test(text) && !/^\s*Received(?: string| value)?:/m.test(text)),
    facts: text => ({ locator: extractLocator(text), ...extractWait(text) }),
  },
  {
    // found, but covered by another element or hidden until the action timed out: the locator targets the wrong element
    rule: 'element-not-actionable', category: 'locator', strength: 0.7,
    match: /intercepts pointer events|element is not visible|element is outside of the viewport/i,
    when: text => /Timeout|timed out|exceeded/i.test(text),
    facts: text => ({ locator: extractLocator(text), ...extractWait(text), blocker: clip(text.match(/(<[^\n]+?>)(?: from <[^\n]+?>)?(?: subtree)? intercepts pointer events/)?.[1], 120) }),
  },
  {
    // explicit expected/received pairs: an assertion even when the message also mentions the matcher's timeout
    rule: 'assertion', category: 'assertion', strength: 0.75,
    match: /^\s*Expected(?: value| string| substring| pattern| length)?:\s*.+\n(?:.*\n)??\s*Received(?: value| string| length)?:|expected:?\s*<.*?>\s*but was:?\s*<|Expected:\s*<.*?>\.\s*Actual:|^\s*Expected:\s*.+\n\s*(?:Actual|But was):|^\s*expected\s*:.+\n\s*(?:got|actual)\s*:|assertion `left [=!]= right` failed|Failed asserting that/im,
    facts: text => extractExpectation(text),
  },
  {
    rule: 'timeout', category: 'timeout', strength: 0.65,
    match: /Timeout (?:of )?\d+\s?ms exceeded|Test timeout of|Exceeded timeout of|timed out|TimeoutError|TimeoutException|deadline exceeded|did not respond within|Timeout\s*>\s*[\d.]+s|took longer than|Async callback was not invoked within/i,
    facts: text => extractWait(text),
  },
  {
    rule: 'assertion', category: 'assertion', strength: 0.7,
    match: /AssertionError|AssertionFailedError|ComparisonFailure|\bassertion (?:error|failure|failed)\b|expect\(|\bExpected\b[^\n]*\n[^\n]*\b(?:Received|Actual|got)\b|expected:?\s*<|expected .+ to (?:deeply |strictly )?(?:equal|be|eql|include|contain|match|have)|\bexpected value did not match|\bassert\b.+(?:==|!=)|Assert\.\w+|!==|should (?:equal|be|have|match|contain)|Not equal:|to equal|error: (?:check|require)(?:_\w+)?\(|\b(?:EXPECT|ASSERT)_(?:EQ|NE|TRUE|FALSE|LT|LE|GT|GE)\b|error: expected\b|\.(?:c|cc|cpp|cxx|h|hpp):\d+: error: /i,
    // `KeyError: 'price'` raised while evaluating `assert total(line) == 5.0` is an exception, not a failed assertion
    when: text => !opensWithException(text),
    facts: text => extractExpectation(text),
  },
  {
    rule: 'exception', category: 'crash', strength: 0.5,
    match: /\b(?:NullPointerException|TypeError|ReferenceError|AttributeError|NameError|IndexError|KeyError|ValueError|ZeroDivisionError|IllegalStateException|IllegalArgumentException|ClassCastException|ArrayIndexOutOfBoundsException|IndexOutOfBoundsException|UnsupportedOperationException|ConcurrentModificationException|NoMethodError|RangeError|SyntaxError|RuntimeError|InvalidOperationException|NullReferenceException|KeyNotFoundException|ArgumentException|DivideByZeroException|cannot unmarshal|unexpected end of JSON input|nil pointer dereference|index out of range|division by zero|Cannot read propert(?:y|ies) of (?:undefined|null)|is not a function|is not defined|Unhandled(?: promise)? rejection|Uncaught)\b/i,
    facts: text => ({
      exception: text.match(/\b([\w.]*(?:Exception|Error)|nil pointer dereference|index out of range)\b/)?.[1],
      detail: clip(text.match(/(?:Exception|Error) ?:\s*(.+)/)?.[1], 160),
    }),
  },
]

MESSAGE_RULES.push({
  // last resort: any thrown exception or error class at the start of a line ("Exception: x", "com.acme.FooException: y")
  rule: 'exception', category: 'crash', strength: 0.4,
  match: /^\s*(?:E\s+)?(?:[\w$]+\.)*[\w$]*(?:Exception|Error)(?: \[\w+\])? ?:\s/m,
  facts: text => ({
    exception: text.match(/^\s*(?:E\s+)?((?:[\w$]+\.)*[\w$]*(?:Exception|Error))(?: \[\w+\])? ?:\s/m)?.[1],
    detail: clip(text.match(/(?:Exception|Error)(?: \[\w+\])? ?:\s*(.+)/)?.[1], 160),
  }),
})

MESSAGE_RULES.push({
  // go test: a `t.Error`/`t.Fatal` line (`price_test.go:18: ParsePrice("12,50") = 1250, want 12.5`) that no rule above
  // explained is a failed check
  rule: 'assertion', category: 'assertion', strength: 0.5,
  match: /^\s*\w+_test\.go:\d+: \S/m,
  facts: text => extractExpectation(text),
})

/** Playwright Test loaded twice or a test file imported by the config: the setup is wrong, not a test. */
MESSAGE_RULES.splice(MESSAGE_RULES.findIndex(r => r.rule === 'network'), 0, {
  rule: 'test-setup', category: 'environment', strength: 0.8,
  match: /did not expect test(?:\.\w+)?\(\) to be called here|Test suite failed to run|two different versions of @playwright\/test|No tests found|Cannot use import statement outside a module|SyntaxError: Unexpected token 'export'|ReferenceError: (?:describe|it|test|expect) is not defined|No code coverage driver (?:is )?available/,
})

/** The rules this engine knows, for docs and coverage reports. */
export const RULE_IDS: RuleId[] = ['infrastructure', 'flaky', ...new Set(MESSAGE_RULES.map(r => r.rule)), 'unknown']

/** Classifies one error (message and stack) by the first rule that matches. */
export function classifyError(message: string, stack: string | null = null): Finding | null {
  const text = stripAnsi(`${message}\n${stack ?? ''}`)
  for (const r of MESSAGE_RULES) {
    const m = r.match.exec(text)
    if (!m || (r.when && !r.when(text))) continue
    const line = quoteLine(text, m.index)
    const facts = Object.fromEntries(Object.entries(r.facts?.(text, line) ?? {}).filter(([, v]) => v != null && v !== '')) as Record<string, string>
    return { rule: r.rule, category: r.category, line, facts, strength: r.strength }
  }
  return null
}

function quoteLine(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1
  const end = text.indexOf('\n', index)
  const line = text.slice(start, end < 0 ? undefined : end).trim()
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}

// ---------------------------------------------------------------------------------------------------------------

const pct = (x: number) => `${Math.round(x * 100)}%`
const short = (sha: string | null | undefined) => sha ? sha.slice(0, 10) : ''
const titleOf = (test: string) => test.split(' › ').pop() ?? test

const loop = (cmd: string, repeat: number) => repeat ? `for i in $(seq ${repeat}); do ${cmd} || break; done` : cmd

/**
 * A command that runs just this test, guessed from its file, suite and variant; `repeat` runs it that many times
 * (stopping at the first failure).
 */
export function reproCommand(e: Pick<ContextError, 'file' | 'test' | 'variant'>, repeat = 0): string {
  const title = titleOf(e.test).replace(/"/g, '\\"')
  const suite = e.test.split(' › ').slice(0, -1)
  const file = e.file ?? ''
  if (/\.py$/.test(file)) return loop(`pytest ${file} -k "${title.replace(/^test_/, '')}"`, repeat)
  if (/_test\.go$/.test(file)) return `go test -run '${title}' ./${file.replace(/\/[^/]+$/, '')}${repeat ? ` -count=${repeat} -failfast` : ''}`
  if (/_spec\.rb$/.test(file)) return loop(`bundle exec rspec ${file} -e "${title}"`, repeat)
  if (/\.[cm]?[jt]sx?$/.test(file)) {
    if (e.variant) return `npx playwright test ${file} -g "${title}" --project=${e.variant}${repeat ? ` --repeat-each=${repeat} -x` : ''}`
    return loop(`npx vitest run ${file} -t "${title}"`, repeat)
  }
  // JUnit: the class is the file (Surefire) or the last suite (classname com.acme.FooTest)
  const cls = [file, ...suite.slice().reverse()].map(x => x.replace(/\.(?:java|kt)$/, '').split(/[/.]/).pop() ?? '').find(x => /^[A-Z]\w*$/.test(x))
  if (cls) return loop(`mvn -Dtest=${cls}#${title.replace(/\W+/g, '*')} test`, repeat)
  return `run "${e.test}"${file ? ` from ${file}` : ''} alone${repeat ? `, ${repeat} times in a row` : ''}`
}

interface Facts {
  finding: Finding | null
  /** Errors (index) whose finding has the same rule as the chosen one. */
  agreeing: number[]
  ctx: ClusterContextData
}

interface CategoryText {
  summary: string
  rootCause: string
  fix: string
  look: string
  change: string
  plug: string
}

function describeFinding(f: Finding | null, ctx: ClusterContextData): CategoryText {
  const x = f?.facts ?? {}
  const loc = x.locator ?? ctx.cluster.locator ?? undefined
  switch (f?.rule) {
    case 'out-of-memory':
      return {
        summary: `Out of memory: ${f.line}`,
        rootCause: 'The process ran out of memory. Either the code under test (or the test) holds more data than before — a leak, an unbounded cache, a fixture that grew — or the CI runner has less memory than the job needs.',
        fix: 'Find what grew: compare heap usage of this test between the last green run and now (node --heapsnapshot-near-heap-limit, -XX:+HeapDumpOnOutOfMemoryError). Fix the leak or the unbounded data; raise the memory limit only once you know the need is legitimate.',
        look: 'Record the peak memory of the test (e.g. /usr/bin/time -v, --max-old-space-size logs, a heap dump at the limit) and what dominates it.',
        change: 'Change one thing: halve the data the test loads, or the number of parallel workers, and see whether the limit is still reached.',
        plug: 'Check the runner: its memory size, other jobs sharing the machine, and the configured heap limit (NODE_OPTIONS, -Xmx, container limits).',
      }
    case 'process-crash':
      return {
        summary: `The process crashed${x.signal ? ` (${x.signal})` : ''}: ${f.line}`,
        rootCause: `A process the test depends on died${x.signal ? ` with ${x.signal}` : ''} rather than failing an assertion: a browser, a worker or the runtime itself. SIGKILL usually means the OOM killer or a CI time/memory limit; SIGSEGV a native crash.`,
        fix: 'Find out who killed the process: the CI job\'s memory and time limits, the kernel log (dmesg: "Out of memory: Killed process"), the browser\'s crash log. Then fix that cause — reduce parallel workers, raise the limit, or update the crashing binary.',
        look: 'Read the process\'s own last output before it died (browser logs, stderr) and the exit code/signal.',
        change: 'Change one thing: run with one worker instead of many, or on a larger runner, and see whether the crash stays.',
        plug: 'Check the plug: is the browser/runtime version the one the test expects, and was the runner healthy (disk, memory) at that time?',
      }
    case 'missing-env-var':
      return {
        summary: `Environment variable ${x.variable ?? '(see message)'} is not set where the test runs`,
        rootCause: `The test or the code it calls reads ${x.variable ?? 'an environment variable'} and it is missing in this CI environment. Typical reasons: a secret or variable not configured for this branch/fork, a renamed variable, or a job that no longer loads the .env file.`,
        fix: `Define ${x.variable ?? 'the variable'} in the CI job (or its secret store) for every branch that runs these tests, or give the code a safe default for tests and fail with a clear message when it is required.`,
        look: `Print whether ${x.variable ?? 'the variable'} is set in the failing job (print its presence, never its value).`,
        change: `Change one thing: set ${x.variable ?? 'the variable'} alone and re-run; nothing else.`,
        plug: 'Check the plug: is the job using the environment/secret group you think, and do forked or feature branches get the secrets at all?',
      }
    case 'module-not-found':
      return {
        summary: `Module ${x.module ?? '(see message)'} cannot be found`,
        rootCause: `The runtime cannot load ${x.module ?? 'a module'}: it is not installed in the CI environment, its path or name changed (case matters on Linux), or the build step that produces it did not run.`,
        fix: `Make sure ${x.module ?? 'the module'} is declared as a dependency and installed in CI (lock file committed, install step before tests), or fix the import path.`,
        look: `List what is installed in the job (npm ls ${x.module ?? ''} / pip show / mvn dependency:tree) and compare with a green run.`,
        change: 'Change one thing: reinstall dependencies from a clean cache, and nothing else.',
        plug: 'Check the plug: is the install step running, with the right lock file, and on the same runtime version as locally?',
      }
    case 'disk-full':
      return {
        summary: `The runner's disk is full${x.path ? ` (writing ${x.path})` : ''}`,
        rootCause: 'A write failed because the device has no space left. The test is not at fault: the CI runner (or its temp directory) filled up — large artifacts, caches, containers or test output.',
        fix: 'Free disk on the runner (clean workspaces, prune docker images, cap artifact sizes) or move temp files to a larger volume; then re-run.',
        look: 'Run `df -h` and `du -sh` on the temp and workspace directories in the failing job.',
        change: 'Change one thing: clean the runner and re-run the same commit.',
        plug: 'Check the plug: which runner/host it was and whether other jobs on it fail the same way.',
      }
    case 'permission-denied':
      return {
        summary: `Permission denied${x.path ? ` on ${x.path}` : ''}`,
        rootCause: `The process may not ${x.path ? `access ${x.path}` : 'do what it tried'}: the CI user differs from local, a file lost its executable bit, a directory belongs to root (e.g. created by a container), or a port below 1024 needs privileges.`,
        fix: `Give the CI user the needed access${x.path ? ` to ${x.path}` : ''} (ownership, chmod +x, a writable temp dir), or change the test to use a location it owns.`,
        look: `Print the user, groups and \`ls -la\`${x.path ? ` of ${x.path}` : ''} in the failing job.`,
        change: 'Change one thing: run the step as the same user as a green run, or fix only the one permission.',
        plug: 'Check the plug: container user, volume mounts and umask in the CI image.',
      }
    case 'test-setup':
      return {
        summary: `The test runner is set up wrongly: ${f.line}`,
        rootCause: 'The runner failed before the test logic ran: its configuration, module format or installation is wrong (for Playwright: two versions of @playwright/test installed, or a test file imported by the config; for Jest/Vitest: ESM/CommonJS mismatch or missing test globals). Every test loaded this way fails the same way.',
        fix: 'Fix the setup the message names: deduplicate the test runner package (npm ls @playwright/test), keep test files out of the config\'s imports, align the module format and transform settings; then re-run.',
        look: 'Run the runner\'s listing mode (npx playwright test --list, npx vitest list, jest --listTests) on the failing commit and read its first error.',
        change: 'Change one thing: the one setup line the message points at (dependency version, config import, module type).',
        plug: 'Check the plug: the lock file and installed versions in CI match local (npm ci from the committed lock), and the config file is the one CI uses.',
      }
    case 'missing-file':
      return {
        summary: `A file or executable is missing${x.path ? `: ${x.path}` : ''}`,
        rootCause: `${x.path ?? 'A file the test needs'} does not exist where it is expected: a build or install step (e.g. \`npx playwright install\`) did not run, a path changed, or the working directory is not the one the test assumes.`,
        fix: `Create or install ${x.path ?? 'the file'} in a CI step before the tests, or fix the path the test uses.`,
        look: `List the directory the test expects (${x.path ? `ls -la ${x.path.replace(/\/[^/]*$/, '')}` : 'ls -la'}) and print the working directory in the failing job.`,
        change: 'Change one thing: add the missing install/build step alone.',
        plug: 'Check the plug: cache restore steps, the CI image version and the working directory.',
      }
    case 'network': {
      const target = x.host ? `${x.host}${x.port ? `:${x.port}` : ''}${x.service ? ` (${x.service})` : ''}` : 'a service'
      const what = x.code ?? (x.status ? `HTTP ${x.status}` : 'a network error')
      return {
        summary: `${what} talking to ${target}`,
        rootCause: x.status && !x.code
          ? `${target} answered HTTP ${x.status}. The test depends on a live service that failed or refused the request (${/^5/.test(x.status) ? 'a server error' : 'a client error: bad credentials, URL or payload'}).`
          : `The test could not talk to ${target} (${what}). The service was not running, not ready yet, listening elsewhere, or the network between them dropped the connection.${x.host && /^(?:localhost|127\.|\[?::1)/.test(x.host) ? ' It is on localhost, so it is a service the CI job itself must start.' : ''}`,
        fix: `Make the dependency reliable in CI: start ${target} before the tests and wait until it is ready (a health check, not a sleep), point the tests at the right host/port, and retry only idempotent calls with backoff.`,
        look: `Check what was listening on ${target} at that moment (service container logs, \`nc -z ${x.host ?? 'host'} ${x.port ?? 'port'}\`) and the exact error code per occurrence.`,
        change: 'Change one thing: add a readiness wait for the service, or run the test against a known-good instance, not both.',
        plug: `Check the plug: is ${target} started in this job at all, with the right port mapping and credentials?`,
      }
    }
    case 'strict-mode':
      return {
        summary: `Locator ${loc ?? '(see message)'} matched ${x.count ?? 'several'} elements where exactly one was expected (strict mode)`,
        rootCause: `The page now renders ${x.count ?? 'more than one'} element matching ${loc ?? 'the locator'}, so Playwright refuses to guess which one to use. Usually a UI change duplicated the element (a second button, a list, a modal copy) or the locator is too broad.`,
        fix: `Make the locator unique: scope it to its container, use a role with its accessible name, or a dedicated data-testid; if several matches are expected, pick one explicitly (.first() or .nth()) only when the order is meaningful.`,
        look: `Print what ${loc ?? 'the locator'} resolves to (await locator.count(), locator.evaluateAll(els => els.map(e => e.outerHTML))) on the failing commit.`,
        change: 'Change one thing: narrow the locator and keep the rest of the test as it is.',
        plug: 'Check the plug: was the app built from the commit you think (no stale build), with the same feature flags as before?',
      }
    case 'locator-not-found':
      return {
        summary: `Locator ${loc ?? '(see message)'} matched no element${x.ms ? ` within ${x.ms}${/\d$/.test(x.ms) ? 'ms' : ''}` : ''}`,
        rootCause: `The element the test looks for never appeared: ${loc ?? 'the locator'} matches nothing on the page. Either the markup changed (renamed test id, text or role), the page is in another state than expected (error page, not logged in, different route), or it appears later than the timeout.`,
        fix: `Compare the DOM at the failing step with ${loc ?? 'the locator'}: if the markup changed on purpose, update the locator (prefer role/name or a stable data-testid); if the element should be there, fix the page.`,
        look: 'Open the trace or the failure screenshot of the cited run and check what the page actually showed at that step.',
        change: 'Change one thing: update the locator only, or raise the timeout once to tell "late" from "never" — not both.',
        plug: 'Check the plug: right base URL, the app started and seeded, logged in as the expected user, feature flags as in the last green run.',
      }
    case 'element-not-actionable':
      return {
        summary: `Locator ${loc ?? '(see message)'} found an element that never became actionable${x.blocker ? `: ${x.blocker} covers it` : ''}`,
        rootCause: `${loc ?? 'The locator'} resolves to an element, but the action never landed on it before the timeout: ${x.blocker ? `another element (${x.blocker}) sits on top of it and receives the clicks` : 'it stays hidden or outside the viewport'}. The locator targets the wrong element (an input under its floating label, a hidden duplicate) or an overlay (a dialog, a spinner, a cookie banner) is still open.`,
        fix: `Target the element the user actually interacts with (the label or visible control, by role and name), or wait for the overlay to go away; do not force the action with { force: true }, which hides the real problem.`,
        look: 'Open the trace of the cited run at the failing action: the call log names the element that intercepts the pointer, and the snapshot shows what covers the target.',
        change: 'Change one thing: point the locator at the covering (or visible) element, or close the overlay first, and re-run.',
        plug: 'Check the plug: viewport size, theme and UI library version as in the last green run (a layout change can move a label over an input).',
      }
    case 'timeout':
      return {
        summary: `Timed out${x.ms ? ` after ${x.ms}${/\d$/.test(x.ms) ? 'ms' : ''}` : ''} waiting for ${x.waitingFor ?? 'something that never happened (see the message)'}`,
        rootCause: `The test waited for ${x.waitingFor ?? 'a condition'} and it did not happen in time. Either it never happens (a real bug or a changed flow), or it happens later than before (slower environment, more data, a dependency that got slow).`,
        fix: `Find out whether ${x.waitingFor ?? 'the awaited condition'} eventually happens: if never, fix the flow that should produce it; if late, fix the slowness or wait on the right signal — raise the timeout only with a measured reason.`,
        look: 'Look at the trace/logs of the cited run around the wait: the last thing that did happen, and how long the same step took in green runs.',
        change: 'Change one thing: raise the timeout once as an experiment (to tell "slow" from "never"), then revert it.',
        plug: 'Check the plug: was the service the test waits on up and reachable, and was the runner unusually loaded?',
      }
    case 'assertion': {
      const values = x.expected != null || x.received != null ? `expected ${x.expected ?? '?'}, received ${x.received ?? '?'}` : f.line
      const status = [x.expected, x.received].every(v => v && /^"?[1-5]\d\d"?$/.test(v))
      return {
        summary: `Assertion failed: ${values}`,
        rootCause: `The code produced ${x.received ?? 'a different value'} where the test expects ${x.expected ?? 'another one'}.${status ? ' The values are HTTP statuses: the endpoint answered differently, look at its response body and logs.' : ''} Either the behaviour changed (a regression or an intended change the test does not know about yet) or the test's inputs changed (fixtures, time, locale, ordering).`,
        fix: `Decide which side is right: if ${x.expected ?? 'the expected value'} is still correct, fix the code path that now returns ${x.received ?? 'the received value'}; if the change was intended, update the expectation in the same change.`,
        look: `Print the inputs that produce ${x.received ?? 'the received value'} and compare them with a green run (fixtures, clock, locale, random seeds, ordering).`,
        change: 'Change one thing: revert the suspect change alone and see whether the expected value returns.',
        plug: 'Check the plug: same fixtures/seed data, timezone and locale as the last green run, and the right service version behind the test.',
      }
    }
    case 'exception':
      return {
        summary: `${x.exception ?? 'An unexpected exception'} thrown${ctx.cluster.location ? ` at ${ctx.cluster.location}` : ''}${x.detail ? `: ${x.detail}` : ''}`,
        rootCause: `The code under test threw ${x.exception ?? 'an exception'} instead of returning a result: a value that was expected to exist is missing (null/undefined/absent key) or of the wrong type${x.detail ? ` — "${x.detail}"` : ''}. The top frame of the stack shows where.`,
        fix: 'Fix the code at the top frame: handle the missing value or fix the caller that passes it; add a test that covers this input.',
        look: 'Set a breakpoint (or log) just before the throwing line and print the value that is null/undefined/of the wrong type, and where it came from.',
        change: 'Change one thing: guard or fix that one value and re-run.',
        plug: 'Check the plug: test data present and migrated, mocks returning what the code expects.',
      }
    default:
      return {
        summary: `Unclassified failure: ${ctx.cluster.title}`,
        rootCause: 'No rule recognised this error. Read the message and stack of the cited result; the fingerprint groups every failure with the same message shape, so fixing one usually fixes all.',
        fix: 'Read the first error message and stack of the cited result and fix what it names.',
        look: 'Read the full message, stack and logs of the cited result.',
        change: 'Change one thing at a time and re-run after each.',
        plug: 'Check the plug: environment, services and data the test needs.',
      }
  }
}

function evidenceFromErrors(f: Finding, errors: ContextError[], agreeing: number[], why: string): DiagnosisEvidenceItem[] {
  return agreeing.slice(0, 3).map((i) => {
    const e = errors[i]!
    const found = classifyError(e.message, e.stack ?? (e.sameStackAs != null ? errors[e.sameStackAs]?.stack ?? null : null))
    return { runId: e.runId, resultId: e.resultId, quote: found?.line ?? f.line, why }
  })
}

function flakyStats(tests: ContextAffectedTest[]) {
  const total = tests.reduce((s, t) => s + t.occurrences, 0)
  const flaky = tests.filter(t => t.flakyLabel === 'flaky' || (t.flakyLabel !== 'broken' && t.flakyScore >= 0.25 && t.flakyConfidence > 0))
  const share = total ? flaky.reduce((s, t) => s + t.occurrences, 0) / total : 0
  return { flaky, share }
}

function infraStats(ctx: ClusterContextData) {
  const infra = ctx.history.runs.filter(r => r.infra)
  const total = Math.max(ctx.cluster.occurrences, ctx.history.runs.reduce((s, r) => s + r.hits, 0))
  const share = total ? Math.min(1, ctx.history.infraHits / total) : 0
  return { infra, share }
}

function investigation(kind: RuleId, text: CategoryText, ctx: ClusterContextData, e: ContextError | undefined): string[] {
  const flaky = kind === 'flaky'
  const ff = ctx.firstFailure
  const repro = e
    ? `Reproduce: ${flaky ? 'run the test many times in a row, since one green run proves nothing: ' : `check out ${e.commit ? `commit ${short(e.commit)}` : 'the failing commit'}${e.branch ? ` (${e.branch})` : ''} and run the test alone: `}\`${reproCommand(e, flaky ? 30 : 0)}\`${/npx vitest/.test(reproCommand(e)) ? ' (with jest: `npx jest <file> -t "<title>"`)' : ''}${kind === 'infrastructure' ? ' — if it passes alone, the test is not the problem.' : '.'}`
    : 'Reproduce: run the failing test alone on the failing commit.'
  let divide: string
  if (kind === 'infrastructure') divide = 'Divide and conquer: compare the failing run with the runs just before and after it on the same commit — if a re-run passes without code changes, the cause is outside the code.'
  else if (flaky) divide = 'Divide and conquer: find what the failing attempts have in common (worker, shard, order, time of day, parallel tests touching the same data) by comparing them with the passing attempts.'
  else if (ff?.lastGreenRun?.commit && ff.run.commit && ff.lastGreenRun.commit !== ff.run.commit) {
    divide = `Divide and conquer: it passed at ${short(ff.lastGreenRun.commit)} (run ${ff.lastGreenRun.runId}) and failed at ${short(ff.run.commit)} (run ${ff.run.runId})${ff.commitsTotal > 1 ? `, ${ff.commitsTotal} CI runs apart` : ''}; bisect that range: \`git bisect start ${short(ff.run.commit)} ${short(ff.lastGreenRun.commit)}\`.`
  }
  else if (e?.failingSteps.length) divide = `Divide and conquer: the failing step is "${e.failingSteps[0]!.split(':')[0]}"; run the steps before it alone, then add them back one by one until it fails.`
  else divide = 'Divide and conquer: cut the test (or its setup) in half and check which half fails; repeat until one line is left.'
  const verify = `Verify the fix: run ${e ? `\`${reproCommand(e, flaky ? 50 : 10)}\`` : 'the test many times'}${flaky ? ' and require zero failures' : ''}, then watch this cluster (${ctx.cluster.id}): no new occurrences on ${ctx.cluster.branches[0] ?? 'the main branch'} after the fix; mark it resolved with a note saying what fixed it.`
  // the category texts may open with the step's own name; say it once
  const bare = (t: string) => t.replace(/^(?:change one thing(?: at a time)?|check the plug)\s*:\s*/i, '')
  return [repro, `Look at the actual values: ${text.look}`, divide, `Change one thing at a time: ${bare(text.change)}`, `Check the plug: ${bare(text.plug)}`, verify]
}

const round = (x: number) => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100

/** The rule engine's diagnosis of a context bundle. */
export function diagnoseContext(ctx: ClusterContextData): RuleDiagnosis {
  const errors = ctx.errors
  // an error whose stack equals an earlier one's is shown without it, but it is still its stack
  const stackOf = (e: ContextError) => e.stack ?? (e.sameStackAs != null ? errors[e.sameStackAs]?.stack ?? null : null)
  const findings = errors.map(e => classifyError(e.message, stackOf(e)))
  // The finding most errors agree on; ties go to the stronger rule.
  const votes = new Map<RuleId, number[]>()
  findings.forEach((f, i) => {
    if (f) votes.set(f.rule, [...(votes.get(f.rule) ?? []), i])
  })
  const best = [...votes].sort((a, b) => b[1].length - a[1].length || findings[b[1][0]!]!.strength - findings[a[1][0]!]!.strength)[0]
  const facts: Facts = { finding: best ? findings[best[1][0]!]! : classifyError(ctx.cluster.title), agreeing: best?.[1] ?? [], ctx }
  const agreement = errors.length ? facts.agreeing.length / errors.length : 0
  const base = describeFinding(facts.finding, ctx)
  const lead = errors[facts.agreeing[0] ?? 0]

  const infra = infraStats(ctx)
  const flaky = flakyStats(ctx.affectedTests.shown)

  if (infra.infra.length && infra.share >= 0.6) {
    const worst = [...infra.infra].sort((a, b) => b.failing / b.executed - a.failing / a.executed)[0]!
    const evidence: DiagnosisEvidenceItem[] = infra.infra.slice(0, 3).map(r => ({
      runId: r.runId, resultId: errors.find(e => e.runId === r.runId)?.resultId ?? null,
      quote: `${r.failing}/${r.executed} failing`,
      why: `${pct(r.failing / Math.max(1, r.executed))} of the executed tests failed in this run: the run, not this test, broke.`,
    }))
    if (facts.finding && lead) evidence.push({ runId: lead.runId, resultId: lead.resultId, quote: facts.finding.line, why: `The shared error: ${base.summary}.` })
    const text: CategoryText = {
      summary: `Infrastructure failure: ${pct(infra.share)} of these failures come from ${infra.infra.length === 1 ? 'a run' : `${infra.infra.length} runs`} where most of the suite failed (up to ${worst.failing}/${worst.executed}) — ${base.summary}`,
      rootCause: `Many unrelated tests failed together with the same error (${facts.finding?.line ?? ctx.cluster.title}), which points at the environment of that run — a service, the runner, the network or a shared setup step — rather than at the tests or the code under test. ${base.rootCause}`,
      fix: `Fix the environment, not the tests: ${base.fix} Then re-run the affected run; its failures should disappear without a code change.`,
      look: base.look,
      change: 'Change one thing: re-run the same commit on a healthy runner without touching the code.',
      plug: base.plug,
    }
    return finish('infrastructure', 'infrastructure', text, evidence, round(0.55 + 0.35 * infra.share), ctx, lead)
  }

  if (flaky.flaky.length && flaky.share >= 0.5) {
    const top = [...flaky.flaky].sort((a, b) => b.flakyScore - a.flakyScore)[0]!
    const evidence: DiagnosisEvidenceItem[] = [...flaky.flaky].sort((a, b) => b.flakyScore - a.flakyScore).slice(0, 3).map((t) => {
      const e = errors.find(x => x.testCaseId === t.testCaseId)
      return {
        runId: e?.runId ?? lead?.runId ?? '', resultId: e?.resultId ?? null,
        quote: `flaky score ${t.flakyScore.toFixed(2)} (confidence ${t.flakyConfidence.toFixed(2)}), ${t.flakyRuns} flaky / ${t.failedRuns} failed runs`,
        why: `${t.test} passes and fails without code changes (retry passes, flips, mixed results on one commit).`,
      }
    }).filter(x => x.runId)
    if (facts.finding && lead) evidence.push({ runId: lead.runId, resultId: lead.resultId, quote: facts.finding.line, why: `How it fails when it does: ${base.summary}.` })
    const text: CategoryText = {
      summary: `Flaky: ${flaky.flaky.length === 1 ? `"${titleOf(top.test)}" is` : `${flaky.flaky.length} of the affected tests are`} flaky (score up to ${top.flakyScore.toFixed(2)}); when it fails: ${base.summary}`,
      rootCause: `These failures come and go without code changes, so a commit is not the cause: the test depends on timing, ordering, shared state or an unreliable dependency. The failure mode is: ${base.rootCause}`,
      fix: `Remove the nondeterminism rather than adding retries: wait for the real condition instead of a fixed time, isolate test data per test, and stub unreliable dependencies. ${base.fix}`,
      look: `Compare a failing attempt with a passing one of the same test (traces, timings, order): ${base.look}`,
      change: 'Change one thing: remove one source of nondeterminism (a fixed wait, shared data, test order) and measure the failure rate again over many runs.',
      plug: base.plug,
    }
    return finish('flaky', 'flaky', text, evidence, round((0.5 + 0.4 * flaky.share) * (0.6 + 0.4 * Math.max(top.flakyConfidence, 0.5))), ctx, lead)
  }

  const f = facts.finding
  const evidence = f && facts.agreeing.length
    ? evidenceFromErrors(f, errors, facts.agreeing, whyFor(f))
    : errors.slice(0, 1).map(e => ({ runId: e.runId, resultId: e.resultId, quote: e.message.split('\n')[0]!.slice(0, 300), why: 'The error as reported.' }))
  const ff = ctx.firstFailure
  let rootCause = base.rootCause
  if (ff?.lastGreenRun?.commit && ff.run.commit && ff.lastGreenRun.commit !== ff.run.commit && f?.category !== 'environment') {
    rootCause += ` It started in run ${ff.run.runId} at ${short(ff.run.commit)}${ff.run.commitMessage ? ` ("${ff.run.commitMessage.split('\n')[0]}")` : ''}; the same tests passed at ${short(ff.lastGreenRun.commit)} (run ${ff.lastGreenRun.runId}), so the change is most likely in between.`
    evidence.push({ runId: ff.run.runId, resultId: null, quote: `First failure: run ${ff.run.runId}`, why: `The first run with this failure; the last green run of the same tests on ${ff.run.branch ?? 'that branch'} was ${ff.lastGreenRun.runId}.` })
  }
  const similar = ctx.similarResolved.find(s => s.note)
  if (similar) rootCause += ` A similar cluster was resolved before ("${similar.title}"): ${similar.note}`
  const confidence = f ? round(f.strength * (0.7 + 0.3 * agreement)) : 0.2
  return finish(f?.rule ?? 'unknown', f?.category ?? 'unknown', { ...base, rootCause }, evidence, confidence, ctx, lead)
}

function whyFor(f: Finding): string {
  const x = f.facts
  switch (f.rule) {
    case 'assertion': return x.expected != null || x.received != null ? `The assertion compares ${x.expected ?? '?'} (expected) with ${x.received ?? '?'} (received).` : 'The failing assertion.'
    case 'timeout': return `The wait that ran out${x.waitingFor ? `: ${x.waitingFor}` : ''}.`
    case 'locator-not-found': return `The element ${x.locator ?? ''} was not found.`.replace(' .', '.')
    case 'element-not-actionable': return `The element${x.locator ? ` ${x.locator}` : ''} was found but never became actionable${x.blocker ? `: ${x.blocker} intercepts the pointer` : ''}.`
    case 'strict-mode': return `The locator resolved to ${x.count ?? 'several'} elements.`
    case 'network': return `The connection error${x.host ? ` to ${x.host}${x.port ? `:${x.port}` : ''}` : ''}${x.status ? ` (HTTP ${x.status})` : ''}.`
    case 'missing-env-var': return `${x.variable ?? 'A variable'} is read but not set.`
    case 'module-not-found': return `${x.module ?? 'A module'} cannot be loaded.`
    default: return 'The line that identifies the failure.'
  }
}

function finish(rule: RuleId, category: FailureCategory, text: CategoryText, evidence: DiagnosisEvidenceItem[], confidence: number, ctx: ClusterContextData, lead: ContextError | undefined): RuleDiagnosis {
  const seen = new Set<string>()
  const unique = evidence.filter((e) => {
    const key = `${e.runId}|${e.resultId}|${e.quote}`
    return !seen.has(key) && !!seen.add(key)
  })
  return {
    rule, category, summary: text.summary.slice(0, 600), rootCause: text.rootCause, evidence: unique.slice(0, 8),
    suggestedFix: text.fix, investigationSteps: investigation(rule, text, ctx, lead), confidence,
  }
}

/**
 * Category accuracy of single-message classification over labelled failures, with the confusion matrix and the
 * misses (for bench scripts and tests). Cluster-level categories (flaky, infrastructure) need a context bundle.
 * Items may name a `group` (their root cause): a group counts as right when more than half of its items are.
 */
export function categoryAccuracy(labelled: { category: string, message: string, stack: string | null, group?: string }[]) {
  const confusion = new Map<string, Map<string, number>>()
  const misses: { expected: string, got: string, message: string, stack: string | null, group?: string }[] = []
  const groups = new Map<string, { total: number, correct: number }>()
  let correct = 0
  for (const l of labelled) {
    const got = classifyError(l.message, l.stack)?.category ?? 'unknown'
    const row = confusion.get(l.category) ?? new Map<string, number>()
    row.set(got, (row.get(got) ?? 0) + 1)
    confusion.set(l.category, row)
    let group: { total: number, correct: number } | undefined
    if (l.group != null) {
      group = groups.get(l.group) ?? { total: 0, correct: 0 }
      groups.set(l.group, group)
      group.total++
    }
    if (got === l.category) {
      correct++
      if (group) group.correct++
    }
    else {
      misses.push({ expected: l.category, got, message: l.message || (l.stack ?? ''), stack: l.stack, ...(l.group == null ? {} : { group: l.group }) })
    }
  }
  const groupsCorrect = [...groups.values()].filter(g => g.correct * 2 > g.total).length
  return {
    accuracy: labelled.length ? correct / labelled.length : 0, correct, total: labelled.length, confusion, misses,
    groups: { accuracy: groups.size ? groupsCorrect / groups.size : 0, correct: groupsCorrect, total: groups.size },
  }
}
