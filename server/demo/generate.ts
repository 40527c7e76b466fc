/**
 * The demo dataset: four projects, weeks of CI runs in four report formats, with known behaviour (flaky tests and
 * their probabilities, regressions introduced at a commit and fixed later, failures that share a root cause with
 * varying volatile parts, an infrastructure outage) so the dashboard shows something real and the analysis can
 * be measured against ground truth. Pure and deterministic: same options, same bytes.
 */

interface DemoProject { slug: string, name: string, defaultBranch: string, repositoryUrl: string }
interface DemoUpload {
  project: string
  branch: string
  commit: string
  commitMessage: string
  buildUrl: string
  runKey: string
  environment: string
  startedAt: string
  files: { name: string, content: string }[]
}
interface DemoTestRef { project: string, title: string, variant: string | null }
interface DemoTruth {
  flaky: (DemoTestRef & { probability: number })[]
  broken: (DemoTestRef & { fromRunKey: string, toRunKey: string | null })[]
  stable: DemoTestRef[]
  /** Every failing final result emitted, with the root cause that produced it. */
  failures: (DemoTestRef & { runKey: string, rootCause: string })[]
  infraRuns: string[]
}
export interface DemoDataset { projects: DemoProject[], uploads: DemoUpload[], truth: DemoTruth }

type Rng = () => number
function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1))
const hex = (rng: Rng, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('')
const uuid = (rng: Rng) => `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`

type Format = 'playwright' | 'ctrf' | 'surefire' | 'pytest'
type Outcome = 'passed' | 'failed' | 'skipped'

interface Failure { message: string, stack: string }
interface TestDef {
  title: string
  file: string
  suite: string
  kind: 'stable' | 'flaky' | 'broken' | 'skipped'
  probability: number
  regression?: Regression
}
interface Regression { id: string, introducedAt: number, fixedAt: number | null, failure: (rng: Rng) => Failure }
interface ProjectSpec {
  project: DemoProject
  format: Format
  variants: (string | null)[]
  retries: number
  files: string[]
  suites: string[]
  testsPerFile: number
  environment: string
  flaky: (rng: Rng, t: TestDef) => Failure
  /** What makes flaky tests of this project fail: tests that share it share one root cause. */
  flakyCause: (t: TestDef) => string
  infra: (rng: Rng) => Failure
  regressions: { id: string, tests: number, at: number, fixedAfter: number | null, failure: (rng: Rng) => Failure }[]
}

const ANSI_RED = '\u001B[31m'
const ANSI_RESET = '\u001B[39m'

const SPECS: ProjectSpec[] = [
  {
    project: { slug: 'web', name: 'Storefront web', defaultBranch: 'main', repositoryUrl: 'https://github.com/acme/storefront' },
    format: 'playwright', variants: ['chromium', 'firefox'], retries: 2, environment: 'staging',
    files: ['tests/checkout.spec.ts', 'tests/cart.spec.ts', 'tests/search.spec.ts', 'tests/account.spec.ts', 'tests/catalog.spec.ts'],
    suites: ['guest', 'signed in'], testsPerFile: 8,
    flaky: (rng, t) => ({
      message: `Error: ${ANSI_RED}expect(locator).toBeVisible()${ANSI_RESET} failed\n\nLocator: getByTestId('toast-${t.title.split(' ')[0]}')\nExpected: visible\nTimeout: ${pick(rng, [5000, 7000])}ms\nError: element(s) not found`,
      stack: `Error: expect(locator).toBeVisible() failed\n    at /home/runner/work/storefront/${t.file}:${int(rng, 10, 200)}:${int(rng, 5, 40)}`,
    }),
    flakyCause: t => `toast-${t.title.split(' ')[0]}`,
    infra: rng => ({ message: `Error: browserType.launch: Target page, context or browser has been closed\nBrowser logs:\n[pid=${int(rng, 1000, 99999)}] <process did exit: exitCode=null, signal=SIGKILL>`, stack: 'Error: browserType.launch: Target page, context or browser has been closed\n    at /home/runner/work/storefront/playwright.config.ts:12:3' }),
    regressions: [{
      id: 'web:checkout-button-selector', tests: 6, at: 30, fixedAfter: 14,
      failure: rng => ({ message: `TimeoutError: locator.click: Timeout ${pick(rng, [10000, 15000])}ms exceeded.\nCall log:\n  - waiting for locator('[data-testid=checkout-button]')\n  - ${int(rng, 2, 9)} × retrying click action, attempt #${int(rng, 2, 30)}`, stack: `TimeoutError: locator.click: Timeout exceeded.\n    at CheckoutPage.submit (/home/runner/work/storefront/tests/pages/checkout.ts:${int(rng, 20, 60)}:${int(rng, 5, 30)})` }),
    }],
  },
  {
    project: { slug: 'api', name: 'Orders API', defaultBranch: 'main', repositoryUrl: 'https://github.com/acme/orders-api' },
    format: 'ctrf', variants: [null], retries: 1, environment: 'ci',
    files: ['src/orders/orders.test.ts', 'src/pricing/pricing.test.ts', 'src/payments/payments.test.ts', 'src/inventory/inventory.test.ts', 'src/users/users.test.ts'],
    suites: ['OrdersService', 'PricingEngine', 'PaymentsGateway', 'InventoryRepo', 'UsersController'], testsPerFile: 14,
    flaky: rng => ({ message: `Error: connect ECONNRESET 127.0.0.1:${int(rng, 30000, 65000)}`, stack: `Error: connect ECONNRESET 127.0.0.1:${int(rng, 30000, 65000)}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)` }),
    flakyCause: () => 'connection reset',
    infra: rng => ({ message: `Error: connect ECONNREFUSED 127.0.0.1:5432\n    at ${new Date(Date.UTC(2026, 10, int(rng, 1, 28))).toISOString()}`, stack: 'Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)' }),
    regressions: [{
      id: 'api:rounding', tests: 5, at: 45, fixedAfter: 9,
      failure: (rng) => {
        const v = int(rng, 100, 9999)
        return { message: `expect(received).toBe(expected) // Object.is equality\n\nExpected: ${v / 100}\nReceived: ${(v + 1) / 100}`, stack: `Error: expect(received).toBe(expected)\n    at Object.<anonymous> (/builds/acme/orders-api/src/pricing/pricing.test.ts:${int(rng, 10, 300)}:${int(rng, 5, 30)})` }
      },
    }],
  },
  {
    project: { slug: 'billing', name: 'Billing service', defaultBranch: 'main', repositoryUrl: 'https://github.com/acme/billing' },
    format: 'surefire', variants: [null], retries: 2, environment: 'ci',
    files: ['InvoiceServiceTest', 'LedgerTest', 'TaxCalculatorTest', 'RefundFlowTest', 'SubscriptionRenewalTest'],
    suites: ['com.acme.billing'], testsPerFile: 12,
    flaky: rng => ({ message: `expected: <PAID> but was: <PENDING>`, stack: `org.opentest4j.AssertionFailedError: expected: <PAID> but was: <PENDING>\n\tat com.acme.billing.RefundFlowTest.awaitsSettlement(RefundFlowTest.java:${int(rng, 40, 200)})` }),
    flakyCause: () => 'settlement race',
    infra: rng => ({ message: `Connection to localhost:${int(rng, 5432, 5440)} refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.`, stack: 'org.postgresql.util.PSQLException: Connection refused\n\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:346)' }),
    regressions: [{
      id: 'billing:null-invoice', tests: 4, at: 20, fixedAfter: 25,
      failure: rng => ({ message: `Cannot invoke "com.acme.billing.Invoice.getTotal()" because "invoice" is null`, stack: `java.lang.NullPointerException: Cannot invoke "com.acme.billing.Invoice.getTotal()" because "invoice" is null\n\tat com.acme.billing.InvoiceService.finalise(InvoiceService.java:${int(rng, 80, 140)})\n\tat com.acme.billing.InvoiceServiceTest.run(InvoiceServiceTest.java:${int(rng, 20, 99)})` }),
    }, {
      id: 'billing:tax-rate', tests: 1, at: 70, fixedAfter: null,
      failure: () => ({ message: 'expected: <19.00> but was: <19.60>', stack: 'org.opentest4j.AssertionFailedError: expected: <19.00> but was: <19.60>\n\tat com.acme.billing.TaxCalculatorTest.vat(TaxCalculatorTest.java:57)' }),
    }],
  },
  {
    project: { slug: 'ml-pipeline', name: 'ML pipeline', defaultBranch: 'main', repositoryUrl: 'https://gitlab.com/acme/ml-pipeline' },
    format: 'pytest', variants: [null], retries: 0, environment: 'gpu-runner',
    files: ['tests/test_features.py', 'tests/test_training.py', 'tests/test_registry.py', 'tests/test_scoring.py'],
    suites: ['pytest'], testsPerFile: 15,
    flaky: rng => ({ message: `TimeoutError: worker ${uuid(rng)} did not respond within ${int(rng, 20, 90)}s`, stack: `tests/test_training.py:${int(rng, 10, 200)}: in test_run\n    result = pool.submit(job).result(timeout=30)\nE   TimeoutError: worker did not respond` }),
    flakyCause: () => 'worker timeout',
    infra: rng => ({ message: `OSError: [Errno 28] No space left on device: '/tmp/pytest-of-runner/pytest-${int(rng, 1, 900)}/data'`, stack: 'tests/conftest.py:41: in workspace\n    shutil.copytree(FIXTURES, path)\nE   OSError: [Errno 28] No space left on device' }),
    regressions: [{
      id: 'ml:registry-env', tests: 7, at: 55, fixedAfter: 6,
      failure: rng => ({ message: `KeyError: 'MODEL_REGISTRY_URL'`, stack: `tests/test_registry.py:${int(rng, 10, 120)}: in test_push\n    url = os.environ['MODEL_REGISTRY_URL']\nE   KeyError: 'MODEL_REGISTRY_URL'` }),
    }],
  },
]

const VERBS = ['adds', 'removes', 'updates', 'lists', 'validates', 'rejects', 'renders', 'exports', 'imports', 'retries', 'caches', 'paginates', 'filters', 'sorts', 'archives']
const NOUNS = ['item', 'coupon', 'address', 'order', 'invoice', 'refund', 'report', 'token', 'session', 'payment', 'model', 'feature', 'batch', 'profile']

function defineTests(rng: Rng, spec: ProjectSpec): { tests: TestDef[], take: () => TestDef } {
  const tests: TestDef[] = []
  const titles = new Set<string>()
  spec.files.forEach((file, fi) => {
    for (let i = 0; i < spec.testsPerFile; i++) {
      let title: string
      do title = `${pick(rng, VERBS)} ${pick(rng, NOUNS)} ${pick(rng, ['when empty', 'for guests', 'in bulk', 'with discounts', 'after timeout', 'on retry', 'twice', 'by id'])}`
      while (titles.has(title))
      titles.add(title)
      tests.push({ title, file, suite: spec.suites[(fi + i) % spec.suites.length]!, kind: 'stable', probability: 0 })
    }
  })
  const order = tests.map((_, i) => i).sort(() => rng() - 0.5)
  let cursor = 0
  const take = () => tests[order[cursor++]!]!
  for (let i = 0; i < Math.max(2, Math.round(tests.length * 0.05)); i++) Object.assign(take(), { kind: 'flaky', probability: Math.round((0.05 + rng() * 0.35) * 100) / 100 })
  for (let i = 0; i < 2; i++) take().kind = 'skipped'
  return { tests, take }
}

const DAYS = 35

interface TimelinePoint { branch: string, index: number, commit: string, message: string, at: number, rerun: boolean }
type Attempts = { outcome: Outcome, failure?: Failure }[]

/**
 * Turns the spec's regressions into broken tests; returns the main-line runs where one starts or ends. A regression
 * starts and ends with a new commit: a re-run of the previous commit there would be a change of outcome on one
 * commit, which only flakiness produces.
 */
function placeRegressions(spec: ProjectSpec, take: () => TestDef, mainRuns: number, scale: number): Set<number> {
  const boundaries = new Set<number>()
  for (const r of spec.regressions) {
    const at = Math.min(mainRuns - 2, Math.round((r.at / 100) * mainRuns))
    const fixedAt = r.fixedAfter == null ? null : Math.min(mainRuns - 1, at + Math.max(2, Math.round(r.fixedAfter * scale)))
    const reg: Regression = { id: r.id, introducedAt: at, fixedAt, failure: r.failure }
    for (let i = 0; i < r.tests; i++) Object.assign(take(), { kind: 'broken', regression: reg })
    boundaries.add(reg.introducedAt)
    if (reg.fixedAt != null) boundaries.add(reg.fixedAt)
  }
  return boundaries
}

/** Every run of a project, oldest first: the main line and the feature branches forked from it. */
function timelineOf(rng: Rng, spec: ProjectSpec, mainRuns: number, boundaries: Set<number>, now: number, scale: number): TimelinePoint[] {
  // The main line: one commit per run, sometimes re-run on the same commit.
  const timeline: TimelinePoint[] = []
  let commit = hex(rng, 40)
  for (let i = 0; i < mainRuns; i++) {
    const rerun = i > 0 && !boundaries.has(i) && rng() < 0.12
    if (!rerun) commit = hex(rng, 40)
    const day = Math.floor((i / mainRuns) * DAYS)
    const at = now - (DAYS - day) * 86_400_000 + (9 + rng() * 9) * 3_600_000
    timeline.push({ branch: spec.project.defaultBranch, index: i, commit, message: pick(rng, ['feat: ', 'fix: ', 'chore: ', 'refactor: ']) + `${pick(rng, VERBS)} ${pick(rng, NOUNS)} handling`, at, rerun })
  }
  // Feature branches fork from main and inherit its state at the fork.
  for (let b = 0; b < Math.max(2, Math.round(5 * scale)); b++) {
    const fork = int(rng, 1, mainRuns - 2)
    const branch = `${pick(rng, ['feat', 'fix'])}/${pick(rng, NOUNS)}-${pick(rng, VERBS)}-${b}`
    let c = hex(rng, 40)
    for (let k = 0; k < int(rng, 2, 4); k++) {
      if (k > 0) c = hex(rng, 40)
      timeline.push({ branch, index: fork, commit: c, message: `wip: ${pick(rng, VERBS)} ${pick(rng, NOUNS)}`, at: timeline[fork]!.at + (k + 1) * 1_800_000, rerun: false })
    }
  }
  timeline.sort((a, b) => a.at - b.at)
  return timeline
}

/** The attempts of one test in one run and the root cause of its failure ('' when nothing failed). */
function attemptsOf(
  rng: Rng, spec: ProjectSpec, t: TestDef, point: TimelinePoint, infra: boolean, runKey: string,
): { attempts: Attempts, rootCause: string } {
  const attempts: Attempts = []
  let rootCause = ''
  if (t.kind === 'skipped') attempts.push({ outcome: 'skipped' })
  else if (infra && rng() < 0.85) {
    attempts.push({ outcome: 'failed', failure: spec.infra(rng) })
    rootCause = `infra:${runKey}`
  }
  else if (t.kind === 'broken' && point.index >= t.regression!.introducedAt && (t.regression!.fixedAt == null || point.index < t.regression!.fixedAt)) {
    for (let a = 0; a <= spec.retries; a++) attempts.push({ outcome: 'failed', failure: t.regression!.failure(rng) })
    rootCause = t.regression!.id
  }
  else if (t.kind === 'flaky') {
    for (let a = 0; a <= spec.retries; a++) {
      if (rng() < t.probability) attempts.push({ outcome: 'failed', failure: spec.flaky(rng, t) })
      else {
        attempts.push({ outcome: 'passed' })
        break
      }
    }
    rootCause = `flaky:${spec.project.slug}:${spec.flakyCause(t)}`
  }
  else attempts.push({ outcome: 'passed' })
  return { attempts, rootCause }
}

/**
 * One upload per point of the timeline; the main-line run `infraAt` is an infrastructure outage. Every failing final
 * result goes into the truth with its root cause.
 */
function uploadRuns(
  rng: Rng, spec: ProjectSpec, tests: TestDef[], timeline: TimelinePoint[], infraAt: number, truth: DemoTruth,
): DemoUpload[] {
  const uploads: DemoUpload[] = []
  let run = 0
  for (const point of timeline) {
    run++
    const runKey = `${spec.project.slug}-${run}`
    const infra = point.branch === spec.project.defaultBranch && point.index === infraAt
    if (infra) truth.infraRuns.push(runKey)
    const outcomes = tests.flatMap(t => spec.variants.map((variant) => {
      const { attempts, rootCause } = attemptsOf(rng, spec, t, point, infra, runKey)
      const final = attempts[attempts.length - 1]!.outcome
      if (final === 'failed') truth.failures.push({ project: spec.project.slug, runKey, title: reportTitle(spec.format, t.title), variant, rootCause })
      return { test: t, variant, attempts, duration: () => int(rng, spec.format === 'playwright' ? 800 : 5, spec.format === 'playwright' ? 9000 : 900) }
    }))
    const startedAt = new Date(point.at).toISOString()
    uploads.push({
      project: spec.project.slug, branch: point.branch, commit: point.commit, commitMessage: point.message, runKey,
      buildUrl: `${spec.project.repositoryUrl}/actions/runs/${1_000_000 + run}`, environment: spec.environment, startedAt,
      files: [{ name: FILE_NAMES[spec.format], content: WRITERS[spec.format](outcomes, startedAt, point) }],
    })
  }
  return uploads
}

/** The ground truth about each test of a project: flaky (with its probability), broken (from/to run) or stable. */
function recordTruth(spec: ProjectSpec, tests: TestDef[], timeline: TimelinePoint[], truth: DemoTruth): void {
  const key = (index: number | null) => index == null ? null : `${spec.project.slug}-${1 + timeline.findIndex(p => p.branch === spec.project.defaultBranch && p.index === index)}`
  for (const t of tests) {
    for (const variant of spec.variants) {
      const ref = { project: spec.project.slug, title: reportTitle(spec.format, t.title), variant }
      if (t.kind === 'flaky') truth.flaky.push({ ...ref, probability: t.probability })
      else if (t.kind === 'broken') truth.broken.push({ ...ref, fromRunKey: key(t.regression!.introducedAt)!, toRunKey: key(t.regression!.fixedAt) })
      else if (t.kind === 'stable') truth.stable.push(ref)
    }
  }
}

/** Builds the dataset. `scale` multiplies the number of runs; `now` anchors the timeline (runs end before it). */
export function generateDemo(opts: { seed?: number, scale?: number, now?: Date } = {}): DemoDataset {
  const rng = mulberry32(opts.seed ?? 42)
  const scale = opts.scale ?? 1
  const now = (opts.now ?? new Date('2026-11-20T18:00:00Z')).getTime()
  const uploads: DemoUpload[] = []
  const truth: DemoTruth = { flaky: [], broken: [], stable: [], failures: [], infraRuns: [] }
  for (const spec of SPECS) {
    const { tests, take } = defineTests(rng, spec)
    const mainRuns = Math.max(12, Math.round(80 * scale))
    const boundaries = placeRegressions(spec, take, mainRuns, scale)
    const timeline = timelineOf(rng, spec, mainRuns, boundaries, now, scale)
    const infraAt = Math.round(mainRuns * 0.62)
    uploads.push(...uploadRuns(rng, spec, tests, timeline, infraAt, truth))
    recordTruth(spec, tests, timeline, truth)
  }
  uploads.sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  return { projects: SPECS.map(s => s.project), uploads, truth }
}

type Outcomes = { test: TestDef, variant: string | null, attempts: { outcome: Outcome, failure?: Failure }[], duration: () => number }[]
type Writer = (outcomes: Outcomes, startedAt: string, point: { branch: string, commit: string }) => string

/** A test's name as each format's report spells it (Surefire method names, pytest functions): what truth refers to. */
function reportTitle(format: Format, title: string): string {
  if (format === 'surefire') return title.replace(/\W+(\w)/g, (_, c: string) => c.toUpperCase())
  if (format === 'pytest') return `test_${title.replace(/\W+/g, '_')}`
  return title
}

const FILE_NAMES: Record<Format, string> = { playwright: 'results.json', ctrf: 'ctrf-report.json', surefire: 'TEST-com.acme.billing.xml', pytest: 'junit.xml' }

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  // eslint-disable-next-line no-control-regex -- strips the characters XML 1.0 forbids (ANSI escapes among them)
  .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')

const WRITERS: Record<Format, Writer> = {
  playwright(outcomes, startedAt) {
    const byFile = new Map<string, Outcomes>()
    for (const o of outcomes) byFile.set(o.test.file, [...(byFile.get(o.test.file) ?? []), o])
    let total = 0
    const suites = [...byFile].map(([file, list]) => {
      const specsByTitle = new Map<string, Outcomes>()
      for (const o of list) specsByTitle.set(o.test.title, [...(specsByTitle.get(o.test.title) ?? []), o])
      const describe = new Map<string, object[]>()
      for (const [title, runs] of specsByTitle) {
        const tests = runs.map((o) => {
          const results = o.attempts.map((a, retry) => {
            const duration = o.duration()
            total += duration
            return {
              workerIndex: 0, status: a.outcome, duration, retry, startTime: startedAt, stdout: [], stderr: [],
              attachments: a.failure
                ? [{ name: 'screenshot', contentType: 'image/png', path: `test-results/${title.replace(/\W+/g, '-')}/test-failed-1.png` }]
                : [],
              errors: a.failure ? [{ message: a.failure.message, stack: a.failure.stack }] : [],
              ...(a.failure ? { error: { message: a.failure.message, stack: a.failure.stack } } : {}),
            }
          })
          const final = o.attempts[o.attempts.length - 1]!.outcome
          const status = final === 'skipped' ? 'skipped' : final === 'failed' ? 'unexpected' : o.attempts.length > 1 ? 'flaky' : 'expected'
          return { timeout: 30000, annotations: final === 'skipped' ? [{ type: 'skip', description: 'feature flag off' }] : [], expectedStatus: final === 'skipped' ? 'skipped' : 'passed', projectId: o.variant, projectName: o.variant, results, status }
        })
        const suite = runs[0]!.test.suite
        describe.set(suite, [...(describe.get(suite) ?? []), { title, ok: tests.every(t => t.status !== 'unexpected'), tags: [], tests, file, line: 10, column: 3 }])
      }
      return {
        title: file, file, line: 0, column: 0, specs: [],
        suites: [...describe].map(([title, specs]) => ({ title, file, line: 5, column: 1, specs })),
      }
    })
    return JSON.stringify({ config: { version: '1.57.0', projects: [{ name: 'chromium' }, { name: 'firefox' }] }, suites, errors: [], stats: { startTime: startedAt, duration: Math.round(total / 4) } })
  },
  ctrf(outcomes, startedAt, point) {
    const start = Date.parse(startedAt)
    const tests = outcomes.map((o) => {
      const final = o.attempts[o.attempts.length - 1]!
      const flaky = final.outcome === 'passed' && o.attempts.length > 1
      return {
        name: o.test.title, status: final.outcome, duration: o.duration(), suite: [o.test.suite], filePath: o.test.file,
        ...(final.outcome === 'failed' ? { message: final.failure!.message, trace: final.failure!.stack } : {}),
        ...(o.attempts.length > 1
          ? {
              retries: o.attempts.length - 1,
              flaky,
              retryAttempts: o.attempts.slice(0, -1).map((a, i) => ({
                attempt: i + 1, status: a.outcome, duration: o.duration(), message: a.failure?.message, trace: a.failure?.stack,
              })),
            }
          : {}),
      }
    })
    return JSON.stringify({ reportFormat: 'CTRF', specVersion: '0.0.0', results: { tool: { name: 'jest' }, summary: { tests: tests.length, start, stop: start + 60_000 }, tests, environment: { branchName: point.branch, commit: point.commit } } })
  },
  surefire(outcomes, startedAt) {
    const byClass = new Map<string, Outcomes>()
    for (const o of outcomes) byClass.set(o.test.file, [...(byClass.get(o.test.file) ?? []), o])
    const suites = [...byClass].map(([cls, list]) => {
      const cases = list.map((o) => {
        const name = reportTitle('surefire', o.test.title)
        const head = `<testcase name="${xml(name)}" classname="com.acme.billing.${cls}" time="${(o.duration() / 1000).toFixed(3)}"`
        const final = o.attempts[o.attempts.length - 1]!
        const el = (tag: string, f: Failure) => tag === 'failure'
          ? `<failure message="${xml(f.message)}" type="java.lang.AssertionError">${xml(f.stack)}</failure>`
          : `<${tag} message="${xml(f.message)}" type="java.lang.AssertionError"><stackTrace>${xml(f.stack)}</stackTrace></${tag}>`
        if (final.outcome === 'skipped') return `${head}><skipped message="@Disabled"/></testcase>`
        if (final.outcome === 'failed') return `${head}>${el('failure', o.attempts[0]!.failure!)}${o.attempts.slice(1).map(a => el('rerunFailure', a.failure!)).join('')}</testcase>`
        if (o.attempts.length > 1) return `${head}>${o.attempts.slice(0, -1).map(a => el('flakyFailure', a.failure!)).join('')}</testcase>`
        return `${head}/>`
      })
      return `<testsuite name="com.acme.billing.${cls}" tests="${list.length}" timestamp="${startedAt.slice(0, 19)}">${cases.join('')}</testsuite>`
    })
    return `<?xml version="1.0" encoding="UTF-8"?><testsuites>${suites.join('')}</testsuites>`
  },
  pytest(outcomes, startedAt) {
    const cases = outcomes.map((o) => {
      const mod = o.test.file.replace(/\.py$/, '').replace(/\//g, '.')
      const head = `<testcase classname="${mod}" name="${reportTitle('pytest', o.test.title)}" file="${o.test.file}" line="${o.test.title.length * 3}" time="${(o.duration() / 1000).toFixed(3)}"`
      const final = o.attempts[o.attempts.length - 1]!
      if (final.outcome === 'skipped') return `${head}><skipped type="pytest.xfail" message="model drift, see #412"/></testcase>`
      if (final.outcome === 'failed') return `${head}><failure message="${xml(final.failure!.message)}">${xml(final.failure!.stack)}</failure></testcase>`
      return `${head}/>`
    })
    return `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="${cases.length}" timestamp="${startedAt.slice(0, 23)}" hostname="runner">${cases.join('')}</testsuite></testsuites>`
  },
}
