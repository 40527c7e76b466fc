import { describe, expect, it } from 'vitest'
import { stripAnsi } from '../../../server/analysis/ansi'
import { assembleClusterContext } from '../../../server/analysis/context'
import { classifyError, diagnoseContext, reproCommand, RULE_IDS, type RuleId } from '../../../server/analysis/diagnose'
import { affected, evidence, result, runStat } from './context.fixtures'

const ESC = '\u001B'

/** Real error messages as frameworks print them, and what the engine must read out of them. */
const CASES: { name: string, message: string, stack?: string, rule: RuleId | null, facts?: Record<string, string | RegExp> }[] = [
  // --- timeouts: waiting for what
  {
    name: 'Playwright click waits for an element that is found but disabled',
    message: `TimeoutError: locator.click: Timeout 15000ms exceeded.\nCall log:\n  - waiting for getByRole('button', { name: 'Pay now' })\n    - locator resolved to <button disabled type="submit" class="btn">Pay now</button>\n  - attempting click action\n    2 × waiting for element to be visible, enabled and stable\n      - element is not enabled\n    - retrying click action`,
    rule: 'timeout', facts: { ms: '15000', waitingFor: /actionable \(visible, enabled and stable\)/ },
  },
  {
    name: 'Playwright test timeout that closed the page (not a crash)',
    message: 'Test timeout of 30000ms exceeded.\n\nError: page.click: Target page, context or browser has been closed',
    rule: 'timeout', facts: { ms: '30000', waitingFor: /whole test/ },
  },
  {
    name: 'Playwright navigation timeout',
    message: 'page.goto: Timeout 30000ms exceeded.\nCall log:\n  - navigating to "http://localhost:3000/checkout", waiting until "load"',
    rule: 'timeout', facts: { waitingFor: 'the navigation to http://localhost:3000/checkout to reach "load"' },
  },
  {
    name: 'Jest test timeout',
    message: 'thrown: "Exceeded timeout of 5000 ms for a test.\nAdd a timeout value to this test to increase the timeout, if this is a long-running test. See https://jestjs.io/docs/api#testname-fn-timeout."',
    rule: 'timeout', facts: { ms: '5000' },
  },
  {
    name: 'Mocha done() never called',
    message: 'Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves. (/home/runner/work/app/test/queue.spec.js)',
    rule: 'timeout', facts: { ms: '2000', waitingFor: /done\(\) callback/ },
  },
  {
    name: 'Go test binary timeout',
    message: 'panic: test timed out after 10m0s\nrunning tests:\n\tTestOrderSync (10m0s)',
    rule: 'timeout', facts: { ms: '10m0s' },
  },
  {
    name: 'Python worker timeout',
    message: 'TimeoutError: worker 3f1c2b9a-1d2e-4f5a-8b9c-0d1e2f3a4b5c did not respond within 45s',
    rule: 'timeout', facts: { waitingFor: 'a response from the worker', ms: '45s' },
  },
  // --- locators
  {
    name: 'Playwright strict mode violation',
    message: `Error: locator.click: Error: strict mode violation: getByRole('button', { name: 'Submit' }) resolved to 2 elements:\n    1) <button type="submit">Submit</button> aka getByTestId('form-submit')\n    2) <button>Submit</button> aka getByRole('dialog').getByRole('button', { name: 'Submit' })`,
    rule: 'strict-mode', facts: { locator: `getByRole('button', { name: 'Submit' })`, count: '2' },
  },
  {
    name: 'Playwright expect toBeVisible on a missing element (with ANSI colours)',
    message: `Error: ${ESC}[2mexpect(${ESC}[22m${ESC}[31mlocator${ESC}[39m${ESC}[2m).${ESC}[22mtoBeVisible${ESC}[2m()${ESC}[22m failed\n\nLocator: getByTestId('toast-success')\nExpected: visible\nTimeout: 5000ms\nError: element(s) not found\n\nCall log:\n  - Expect "toBeVisible" with timeout 5000ms\n  - waiting for getByTestId('toast-success')`,
    rule: 'locator-not-found', facts: { locator: `getByTestId('toast-success')` },
  },
  {
    name: 'Playwright click on an element that never appears',
    message: `TimeoutError: locator.click: Timeout 10000ms exceeded.\nCall log:\n  - waiting for locator('[data-testid=checkout-button]')\n  - 4 × retrying click action, attempt #12`,
    rule: 'locator-not-found', facts: { locator: `locator('[data-testid=checkout-button]')`, ms: '10000' },
  },
  {
    name: 'Cypress element never found',
    message: 'AssertionError: Timed out retrying after 4000ms: Expected to find element: `[data-cy=submit]`, but never found it.',
    rule: 'locator-not-found', facts: { locator: '[data-cy=submit]' },
  },
  {
    name: 'Selenium NoSuchElementException',
    message: 'org.openqa.selenium.NoSuchElementException: no such element: Unable to locate element: {"method":"css selector","selector":"#login"}',
    rule: 'locator-not-found', facts: { locator: /#login/ },
  },
  {
    name: 'Playwright click on an input its floating label covers (from the labelled failure set)',
    message: 'mbhpatientlabsfilter.mbhpages.ts:9:5 filter patients labs',
    stack: `Test timeout of 90000ms exceeded.\n\nError: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByLabel('Search Patient name , mrn')\n  -   locator resolved to <input matinput="" id="mat-input-0" aria-invalid="false…/>\n  - attempting click action\n  -   waiting for element to be visible, enabled and stable\n  -   element is visible, enabled and stable\n  -   scrolling into view if needed\n  -   done scrolling\n  -   <mat-label _ngcontent-ng-c2013501738="" class="ng-tns-c3736…>Search Patient name , mrn</mat-label> from <div matformfieldnotchedoutline="" class="mdc-notched…>…</div> subtree intercepts pointer events\n  - retrying click action, attempt #1`,
    rule: 'element-not-actionable', facts: { locator: `getByLabel('Search Patient name , mrn')`, blocker: /^<mat-label .*>Search Patient name , mrn<\/mat-label>$/ },
  },
  {
    name: 'Playwright click on an element that stays hidden',
    message: `TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:\n  - waiting for getByRole('button', { name: 'Menu' })\n    - locator resolved to <button class="mobile-only">Menu</button>\n  - attempting click action\n    2 × waiting for element to be visible, enabled and stable\n      - element is not visible`,
    rule: 'element-not-actionable', facts: { locator: `getByRole('button', { name: 'Menu' })`, ms: '5000' },
  },
  {
    name: 'Playwright toHaveText whose call log was cut before "resolved": the element was found, an assertion',
    message: `Error: expect(locator).toHaveText(expected) failed\n\nLocator:  getByTestId('order-status')\nExpected: "Paid"\nReceived: "Pending"\nTimeout:  300ms\n\nCall log:\n  - Expect "toHaveText" getByTestId('order-status') with timeout 300ms\n  - waiting for getByTestId('order-status')`,
    rule: 'assertion', facts: { expected: '"Paid"', received: '"Pending"' },
  },
  // --- assertions: expected vs received
  {
    name: 'Jest toBe',
    message: 'expect(received).toBe(expected) // Object.is equality\n\nExpected: 12.34\nReceived: 12.35',
    rule: 'assertion', facts: { expected: '12.34', received: '12.35' },
  },
  {
    name: 'JUnit 5 assertEquals',
    message: 'expected: <PAID> but was: <PENDING>',
    stack: 'org.opentest4j.AssertionFailedError: expected: <PAID> but was: <PENDING>\n\tat com.acme.billing.RefundFlowTest.awaitsSettlement(RefundFlowTest.java:88)',
    rule: 'assertion', facts: { expected: 'PAID', received: 'PENDING' },
  },
  {
    name: 'pytest bare assert',
    message: 'AssertionError: assert 3 == 4\n +  where 3 = len([1, 2, 3])',
    rule: 'assertion', facts: { received: '3', expected: '4' },
  },
  {
    name: 'Vitest/chai deep equal',
    message: `AssertionError: expected 'pending' to deeply equal 'paid'`,
    rule: 'assertion', facts: { received: `'pending'`, expected: `'paid'` },
  },
  {
    // Vitest 4's toBe, as its JUnit reporter writes it: the comment after the value is Vitest's, not the value's
    name: 'Vitest toBe (// Object.is equality)',
    message: 'expected 91 to be 90 // Object.is equality',
    stack: 'AssertionError: expected 91 to be 90 // Object.is equality\n\n- Expected\n+ Received\n\n- 90\n+ 91\n\n ❯ tests/cart.spec.ts:5:19',
    rule: 'assertion', facts: { received: '91', expected: '90' },
  },
  {
    name: 'Vitest toBe on strings',
    message: `expected 'pending' to be 'paid' // Object.is equality`,
    rule: 'assertion', facts: { received: `'pending'`, expected: `'paid'` },
  },
  {
    name: 'Node assert.strictEqual',
    message: 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n1 !== 2\n',
    rule: 'assertion', facts: { received: '1', expected: '2' },
  },
  {
    name: 'Playwright toHaveText mismatch mentions its timeout but is an assertion',
    message: `Error: expect(locator).toHaveText(expected) failed\n\nLocator: getByTestId('total')\nExpected string: "$19.00"\nReceived string: "$19.60"\nTimeout: 5000ms\n\nCall log:\n  - waiting for getByTestId('total')\n    9 × locator resolved to <span data-testid="total">$19.60</span>\n      - unexpected value "$19.60"`,
    rule: 'assertion', facts: { expected: '"$19.00"', received: '"$19.60"' },
  },
  {
    name: 'MSTest AreEqual on a status code',
    message: 'Assert.AreEqual failed. Expected:<200>. Actual:<500>.',
    rule: 'assertion', facts: { expected: '200', received: '500' },
  },
  {
    name: 'NUnit on a Windows runner (CRLF)',
    message: 'failing for second case\r\n  Expected: not equal to 2\r\n  But was:  2',
    rule: 'assertion', facts: { expected: 'not equal to 2', received: '2' },
  },
  {
    name: 'Rust assert_eq!',
    message: `thread 'test_failure' panicked at tests/parry3d.rs:154:5:\nassertion \`left == right\` failed: 0 must equal 1\n  left: 0\n right: 1`,
    rule: 'assertion', facts: { received: '0', expected: '1' },
  },
  // libtest (cargo test, test/fixtures/reports/cargo-*.xml): the panic's message, the stack the panic from its first line
  {
    name: 'Rust assert_eq! (libtest)',
    message: 'assertion `left == right` failed: ledger total drifted\n  left: 4\n right: 5',
    stack: 'thread \'tests::totals_match\' (29018) panicked at src/lib.rs:36:9:\nassertion `left == right` failed: ledger total drifted\n  left: 4\n right: 5',
    rule: 'assertion', facts: { received: '4', expected: '5' },
  },
  {
    name: 'Rust assert! without a message',
    message: 'assertion failed: r > 0.35',
    stack: 'thread \'tests::shard_merge_is_flaky\' (22120) panicked at src/lib.rs:26:9:\nassertion failed: r > 0.35',
    rule: 'assertion',
  },
  {
    name: 'PHPUnit',
    message: 'OtherTest::testOther\nWe expect 20 warnings\nFailed asserting that 19 matches expected 20.',
    rule: 'assertion', facts: { received: '19', expected: '20' },
  },
  {
    name: 'Go testify',
    message: 'Error Trace:\torder_test.go:42\n\tError:      \tNot equal: \n\t            \texpected: 3\n\t            \tactual  : 4',
    rule: 'assertion', facts: { expected: '3', received: '4' },
  },
  {
    name: 'go test t.Errorf with got/want (message "Failed", the line in the output)',
    message: 'Failed',
    stack: '=== RUN   TestParsePrice/12,50\n    price_test.go:18: ParsePrice("12,50") = 1250, want 12.5\n    --- FAIL: TestParsePrice/12,50 (0.00s)',
    rule: 'assertion', facts: { expected: '12.5', received: '1250' },
  },
  {
    name: 'go test t.Error with a bare message',
    message: 'Failed',
    stack: '=== RUN   TestFailed\n    fails_test.go:34: this failed\n--- FAIL: TestFailed (0.00s)',
    rule: 'assertion',
  },
  {
    name: 'tst (C++) check with a custom message only',
    message: '/home/ivan/prj/tst/tests/failed/checks.cpp:7: error: Hello world!',
    rule: 'assertion',
  },
  // --- network: host, status
  {
    name: 'Node connection refused to PostgreSQL',
    message: 'Error: connect ECONNREFUSED 127.0.0.1:5432',
    stack: 'Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
    rule: 'network', facts: { host: '127.0.0.1', port: '5432', service: 'PostgreSQL', code: 'ECONNREFUSED' },
  },
  {
    name: 'DNS failure from node-fetch',
    message: 'FetchError: request to https://api.stripe.com/v1/charges failed, reason: getaddrinfo ENOTFOUND api.stripe.com',
    rule: 'network', facts: { host: 'api.stripe.com', code: 'ENOTFOUND' },
  },
  {
    name: 'Python requests connection refused',
    message: `requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded with url: /health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))`,
    rule: 'network', facts: { host: 'localhost', port: '8000' },
  },
  {
    name: 'axios 503',
    message: 'AxiosError: Request failed with status code 503',
    rule: 'network', facts: { status: '503' },
  },
  {
    name: 'Playwright navigation refused',
    message: 'page.goto: net::ERR_CONNECTION_REFUSED at http://localhost:3000/\nCall log:\n  - navigating to "http://localhost:3000/", waiting until "load"',
    rule: 'network', facts: { code: 'net::ERR_CONNECTION_REFUSED', host: 'localhost', port: '3000' },
  },
  {
    name: 'JDBC connection refused',
    message: 'Connection to localhost:5433 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.',
    rule: 'network', facts: { host: 'localhost', port: '5433' },
  },
  {
    name: 'Go redis dial',
    message: 'dial tcp 127.0.0.1:6379: connect: connection refused',
    rule: 'network', facts: { host: '127.0.0.1', port: '6379', service: 'Redis' },
  },
  {
    name: 'Node client on a unix socket nobody listens on',
    message: 'connect ENOENT /tmp/mocha-redis-PuEsJ6/redis.sock',
    stack: 'Error: connect ENOENT /tmp/mocha-redis-PuEsJ6/redis.sock\n    at PipeConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)',
    rule: 'network', facts: { host: '/tmp/mocha-redis-PuEsJ6/redis.sock', code: 'ENOENT' },
  },
  { name: 'Connection timeout (CTRF)', message: 'Connection timeout', rule: 'network' },
  { name: 'Remote service timeout', message: 'Payment gateway timeout', stack: 'Error: Payment gateway timeout\n    at processPayment (payment.js:23:10)', rule: 'network' },
  {
    name: 'Python socket read timeout',
    message: 'TimeoutError: timed out',
    stack: '    def test_ledger_answers(silent_server):\n        s = connect(silent_server)\n        s.sendall(b"PING\\n")\n>       assert s.recv(16) == b"PONG\\n"\nE       TimeoutError: timed out\n\ntests/test_services.py:15: TimeoutError',
    rule: 'network',
  },
  { name: 'Python requests read timeout', message: `requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.acme.test', port=443): Read timed out. (read timeout=5)`, rule: 'network', facts: { host: 'api.acme.test' } },
  // --- crashes / OOM
  { name: 'V8 heap', message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', rule: 'out-of-memory' },
  { name: 'JVM heap', message: 'java.lang.OutOfMemoryError: Java heap space', rule: 'out-of-memory' },
  {
    name: 'Browser killed',
    message: 'Error: browserType.launch: Target page, context or browser has been closed\nBrowser logs:\n[pid=4242] <process did exit: exitCode=null, signal=SIGKILL>',
    rule: 'process-crash', facts: { signal: 'SIGKILL' },
  },
  { name: 'Page crashed', message: 'Error: page.goto: Page crashed', rule: 'process-crash' },
  { name: 'Segfault', message: 'Segmentation fault (core dumped)', rule: 'process-crash' },
  // --- environment / config
  {
    name: 'Python missing environment variable',
    message: `KeyError: 'MODEL_REGISTRY_URL'`,
    stack: `tests/test_registry.py:41: in test_push\n    url = os.environ['MODEL_REGISTRY_URL']\nE   KeyError: 'MODEL_REGISTRY_URL'`,
    rule: 'missing-env-var', facts: { variable: 'MODEL_REGISTRY_URL' },
  },
  { name: 'Explicit missing variable', message: 'Error: Missing required environment variable: DATABASE_URL', rule: 'missing-env-var', facts: { variable: 'DATABASE_URL' } },
  { name: 'Variable not set', message: 'Error: STRIPE_SECRET_KEY is not set', rule: 'missing-env-var', facts: { variable: 'STRIPE_SECRET_KEY' } },
  { name: 'Node module', message: `Error: Cannot find module '@acme/shared-config'\nRequire stack:\n- /app/src/index.js`, rule: 'module-not-found', facts: { module: '@acme/shared-config' } },
  { name: 'Python module', message: `ModuleNotFoundError: No module named 'pandas'`, rule: 'module-not-found', facts: { module: 'pandas' } },
  { name: 'ESM package', message: `Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod' imported from /app/src/schema.js`, rule: 'module-not-found', facts: { module: 'zod' } },
  { name: 'JDBC driver class', message: 'java.lang.ClassNotFoundException: org.postgresql.Driver', rule: 'module-not-found', facts: { module: 'org.postgresql.Driver' } },
  { name: 'Node EACCES', message: `Error: EACCES: permission denied, open '/var/log/app.log'`, rule: 'permission-denied', facts: { path: '/var/log/app.log' } },
  { name: 'Python PermissionError', message: `PermissionError: [Errno 13] Permission denied: '/data/models'`, rule: 'permission-denied', facts: { path: '/data/models' } },
  {
    name: 'Playwright browsers not installed',
    message: `browserType.launch: Executable doesn't exist at /ms-playwright/chromium-1140/chrome-linux/chrome\n╔═════════════════════════════╗\n║ Looks like Playwright Test or Playwright was just installed or updated. ║\n║ Please run the following command to download new browsers: ║\n║     npx playwright install ║`,
    rule: 'missing-file', facts: { path: '/ms-playwright/chromium-1140/chrome-linux/chrome' },
  },
  {
    name: 'Playwright loaded twice',
    message: 'Error: Playwright Test did not expect test.describe() to be called here.\nMost common reasons include:\n- You are calling test.describe() in a configuration file.\n- You have two different versions of @playwright/test.',
    rule: 'test-setup',
  },
  {
    name: 'Jest suite that does not compile',
    message: `  ● Test suite failed to run\n\n    tsconfig.json:13:3 - error TS6258: 'typeRoots' should be set inside the 'compilerOptions' object of the config json file`,
    rule: 'test-setup',
  },
  { name: 'Disk full', message: `OSError: [Errno 28] No space left on device: '/tmp/pytest-of-runner/pytest-12/data'`, rule: 'disk-full' },
  {
    name: 'Ruby ENV.fetch of a missing variable',
    message: 'key not found: "STRIPE_KEY"',
    stack: `Failure/Error: ENV.fetch('STRIPE_KEY')\n\nKeyError:\n  key not found: "STRIPE_KEY"\n# ./lib/shop.rb:12:in 'fetch'`,
    rule: 'missing-env-var', facts: { variable: 'STRIPE_KEY' },
  },
  {
    name: '.NET file under a directory that was not deployed',
    message: 'System.IO.DirectoryNotFoundException : Could not find a part of the path "/tmp/d81fbc5eeb4941f89582f6b125500b7d/receipt.html".',
    rule: 'missing-file', facts: { path: '/tmp/d81fbc5eeb4941f89582f6b125500b7d/receipt.html' },
  },
  {
    name: 'PHPUnit end-to-end test whose output gained "No code coverage driver available"',
    message: 'targeting-traits-with-coversclass-attribute-is-deprecated.phptFailed asserting that string matches format description.',
    stack: 'targeting-traits-with-coversclass-attribute-is-deprecated.phptFailed asserting that string matches format description.\n--- Expected\n+++ Actual\n@@ @@\n Test Runner Configured\n+Test Runner Triggered Warning (No code coverage driver available)\n Event Facade Sealed',
    rule: 'test-setup',
  },
  {
    name: 'go test binary that exits without a failing test',
    message: 'Failed',
    stack: 'sometimes main can exit 2\nFAIL\tgotest.tools/gotestsum/testjson/internal/badmain\t0.001s',
    rule: 'process-crash',
  },
  // --- code that did not compile: real compiler output (test/fixtures/reports/gojunit-build.xml, gotestsum-build.xml; tsc 5.9,
  // javac 17, rustc 1.8x run on a type error)
  {
    name: 'go-junit-report: a package whose code does not compile',
    message: 'Build error',
    stack: 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration\ninternal/cart/cart.go:10:11: cannot use money.Add(total, i) (value of type money.Cents) as type string in assignment',
    rule: 'compile-error', facts: { tool: 'go', source: 'internal/cart/cart.go:8' },
  },
  {
    name: 'go-junit-report: a test file that does not compile',
    message: 'Build error',
    stack: 'internal/pricing/pricing_test.go:9:12: undefined: Discunt',
    rule: 'compile-error', facts: { tool: 'go', source: 'internal/pricing/pricing_test.go:9' },
  },
  {
    name: 'go-junit-report: go vet, which go test runs, rejects a test',
    message: 'Build error',
    stack: 'internal/search/search_test.go:9:2: fmt.Printf format %d has arg Normalize("ABC") of wrong type string',
    rule: 'compile-error', facts: { tool: 'go', source: 'internal/search/search_test.go:9' },
  },
  {
    name: 'gotestsum: a package that did not build (the errors are in the job\'s log only)',
    message: 'FAIL\texample.com/shop/internal/cart [build failed]',
    stack: 'FAIL\texample.com/shop/internal/cart [build failed]',
    rule: 'compile-error', facts: { tool: 'go', pkg: 'example.com/shop/internal/cart' },
  },
  {
    name: 'ts-jest: a suite whose code does not type-check',
    message: `  ● Test suite failed to run\n\n    ${ESC}[96msrc/cart.ts${ESC}[0m:${ESC}[93m2${ESC}[0m:${ESC}[93m9${ESC}[0m - ${ESC}[91merror${ESC}[0m${ESC}[90m TS2322: ${ESC}[0mType 'string' is not assignable to type 'number'.`,
    rule: 'compile-error', facts: { tool: 'typescript', source: 'src/cart.ts:2' },
  },
  {
    name: 'tsc without colours',
    message: `cart.ts(2,9): error TS2322: Type 'string' is not assignable to type 'number'.`,
    rule: 'compile-error', facts: { tool: 'typescript', source: 'cart.ts:2' },
  },
  {
    name: 'javac: a method that does not exist',
    message: 'src/CartTest.java:4: error: cannot find symbol\n        int t = cart.totl();\n                    ^\n  symbol:   method totl()\n  location: variable cart of type Cart',
    rule: 'compile-error', facts: { tool: 'java', source: 'src/CartTest.java:4' },
  },
  {
    name: 'rustc: mismatched types',
    message: 'error[E0308]: mismatched types\n  --> src/lib.rs:11:25\n   |\n11 |         let t: String = total(&[1, 2]);\n   |                ------   ^^^^^^^^^^^^^^ expected `String`, found `u32`',
    rule: 'compile-error', facts: { tool: 'rust', source: 'src/lib.rs:11' },
  },
  // --- unexpected exceptions in the code under test
  {
    name: 'Java NPE',
    message: 'Cannot invoke "com.acme.billing.Invoice.getTotal()" because "invoice" is null',
    stack: 'java.lang.NullPointerException: Cannot invoke "com.acme.billing.Invoice.getTotal()" because "invoice" is null\n\tat com.acme.billing.InvoiceService.finalise(InvoiceService.java:112)',
    rule: 'exception', facts: { exception: 'java.lang.NullPointerException' },
  },
  {
    name: 'JS TypeError',
    message: `TypeError: Cannot read properties of undefined (reading 'id')`,
    stack: `TypeError: Cannot read properties of undefined (reading 'id')\n    at OrderService.total (/app/src/orders/service.ts:42:18)`,
    rule: 'exception', facts: { exception: 'TypeError' },
  },
  {
    name: 'pytest KeyError raised inside an assert statement (an exception, not an assertion)',
    message: `KeyError: 'price'`,
    stack: `    def test_import_csv_line():\n>       assert line_total({"SKU": "C-3", "qty": 4, "unit_price": 1.25}) == 5.0\n\ntests/test_legacy_import.py:5:\n\n    def line_total(line):\n>       return line["price"] * line["qty"]\nE       KeyError: 'price'\n\nshop/orders.py:9: KeyError`,
    rule: 'exception', facts: { exception: 'KeyError' },
  },
  {
    name: 'NUnit exception (" : " before the message)',
    message: `System.Collections.Generic.KeyNotFoundException : The given key 'SUMMER20' was not present in the dictionary.`,
    rule: 'exception', facts: { exception: 'System.Collections.Generic.KeyNotFoundException', detail: `The given key 'SUMMER20' was not present in the dictionary.` },
  },
  {
    name: 'go test t.Fatal on a decode error',
    message: 'Failed',
    stack: '=== RUN   TestDecodeMarketplaceOrder\n    orders_test.go:7: decode: json: cannot unmarshal string into Go struct field Order.total of type float64\n--- FAIL: TestDecodeMarketplaceOrder (0.00s)',
    rule: 'exception',
  },
  {
    name: 'go test nil pointer in the package\'s own code (a bug, though Go says SIGSEGV; the review\'s go-junit-report panic)',
    message: 'panic: runtime error: invalid memory address or nil pointer dereference [recovered]',
    stack: 'panic: runtime error: invalid memory address or nil pointer dereference [recovered]\n\tpanic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x5e9531]\n\ngoroutine 30 [running]:\ntesting.tRunner.func1.2({0x61b8a0, 0x8a4c10})\n\t/usr/local/go/src/testing/testing.go:1631 +0x24a\npanic({0x61b8a0?, 0x8a4c10?})\n\t/usr/local/go/src/runtime/panic.go:770 +0x132\nexample.com/ledger/internal/money.(*Parser).Parse(0x0, {0x6612a3, 0x5})\n\t/builds/acme/mono/services/ledger/internal/money/parse.go:41 +0x1a',
    rule: 'exception', facts: { exception: 'nil pointer dereference', detail: 'invalid memory address or nil pointer dereference' },
  },
  {
    name: 'go nil pointer whose stack never leaves Go\'s own tree (a runtime crash)',
    message: 'panic: runtime error: invalid memory address or nil pointer dereference',
    stack: 'panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4f5c2a]\n\ngoroutine 7 [running]:\nruntime.mallocgc(0x0)\n\t/usr/local/go/src/runtime/malloc.go:1012 +0x24a',
    rule: 'process-crash',
  },
  { name: 'Nothing recognisable', message: 'the widget is sad', rule: null },
]

/** A libtest failure as ingest reads it: the panic's message, and the stack from the panic's line on. */
const rust = (message: string, at = 'src/lib.rs:54:39', thread = 'tests::parser::t') => ({
  message, stack: `thread '${thread}' (29017) panicked at ${at}:\n${message}\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace`,
})

const RUST_PANICS: typeof CASES = [
  { name: 'Rust unwrap on None', ...rust('called `Option::unwrap()` on a `None` value'), rule: 'panic', facts: { kind: 'unwrap', at: 'src/lib.rs:54:39', unwrapped: '`Option::unwrap()` on `None`' } },
  {
    name: 'Rust unwrap on Err', ...rust('called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }', 'src/lib.rs:60:36'),
    rule: 'panic', facts: { kind: 'unwrap', unwrapped: '`Result::unwrap()` on `Err`', error: 'ParseIntError { kind: InvalidDigit }' },
  },
  { name: 'Rust index out of bounds', ...rust('index out of bounds: the len is 1 but the index is 2'), rule: 'panic', facts: { kind: 'bounds', detail: 'index out of bounds: the len is 1 but the index is 2' } },
  { name: 'Rust slice out of range', ...rust('range end index 5 out of range for slice of length 3'), rule: 'panic', facts: { kind: 'bounds' } },
  { name: 'Rust subtraction overflow', ...rust('attempt to subtract with overflow'), rule: 'panic', facts: { kind: 'overflow', detail: 'attempt to subtract with overflow' } },
  { name: 'Rust explicit panic!', ...rust('negative amount: -5', 'src/lib.rs:66:54'), rule: 'panic', facts: { kind: 'panic', detail: 'negative amount: -5', at: 'src/lib.rs:66:54' } },
  // the review's engine-rs: `assert!(r > 0.35, "merge race: segment {} missing", …)` prints only its message
  { name: 'Rust assert! with a message', ...rust('merge race: segment 12 missing', 'src/lib.rs:26:9'), rule: 'panic', facts: { kind: 'panic', detail: 'merge race: segment 12 missing' } },
  {
    name: 'Rust before 1.73: the message on the panic\'s line', message: 'boom',
    stack: 'thread \'tests::t\' panicked at \'boom\', src/lib.rs:3:5\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
    rule: 'panic', facts: { kind: 'panic', detail: 'boom', at: 'src/lib.rs:3:5' },
  },
  {
    name: 'Rust unwrap of a refused connection: the network\'s',
    ...rust('called `Result::unwrap()` on an `Err` value: Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }'), rule: 'network',
  },
  { name: 'Rust doc-test that did not compile', message: 'error[E0308]: mismatched types', stack: 'error[E0308]: mismatched types\n --> src/lib.rs:2:14\n', rule: 'compile-error', facts: { tool: 'rust' } },
]

describe('classifyError', () => {
  it.each([...CASES, ...RUST_PANICS])('$name → $rule', ({ message, stack, rule, facts }) => {
    const f = classifyError(message, stack ?? null)
    expect(f?.rule ?? null).toBe(rule)
    for (const [k, v] of Object.entries(facts ?? {})) {
      if (v instanceof RegExp) expect(f?.facts[k]).toMatch(v)
      else expect(f?.facts[k]).toBe(v)
    }
    if (f) expect(f.line).not.toBe('')
    if (f) expect(stripAnsi(`${message}\n${stack ?? ''}`)).toContain(f.line.replace(/…$/, ''))
  })

  it('covers every message rule with at least one real sample', () => {
    const covered = new Set([...CASES, ...RUST_PANICS].map(c => c.rule))
    const messageRules = RULE_IDS.filter(r => !['infrastructure', 'flaky', 'unknown'].includes(r))
    expect(messageRules.filter(r => !covered.has(r))).toEqual([])
  })
})

describe('diagnoseContext', () => {
  const diagnose = (ev: Parameters<typeof assembleClusterContext>[0]) => {
    const ctx = assembleClusterContext(ev)
    return { ctx, d: diagnoseContext(ctx.data) }
  }

  it('an assertion: expected vs received in the summary, evidence citing run, result and the quoted line', () => {
    const samples = [
      result({ errorMessage: 'expect(received).toBe(expected) // Object.is equality\n\nExpected: 12.34\nReceived: 12.35', test: 'PricingEngine › rounds totals', file: 'src/pricing/pricing.test.ts', variant: null }),
      result({ errorMessage: 'expect(received).toBe(expected) // Object.is equality\n\nExpected: 99.10\nReceived: 99.11', test: 'PricingEngine › rounds discounts', file: 'src/pricing/pricing.test.ts', variant: null }),
    ]
    const { ctx, d } = diagnose(evidence({ samples }))
    expect(d.category).toBe('assertion')
    expect(d.summary).toContain('expected 12.34, received 12.35')
    expect(d.evidence.length).toBeGreaterThanOrEqual(2)
    for (const e of d.evidence) {
      expect(ctx.markdown).toContain(e.runId)
      if (e.resultId) expect(ctx.markdown).toContain(e.resultId)
      expect(ctx.markdown).toContain(e.quote)
    }
    expect(d.investigationSteps).toHaveLength(6)
    expect(d.investigationSteps.map(s => s.split(':')[0])).toEqual(['Reproduce', 'Look at the actual values', 'Divide and conquer', 'Change one thing at a time', 'Check the plug', 'Verify the fix'])
    for (const step of d.investigationSteps) expect(step).not.toMatch(/^([^:]+): \1/i)
    expect(d.investigationSteps[0]).toContain('npx vitest run src/pricing/pricing.test.ts -t "rounds totals"')
    expect(d.confidence).toBeGreaterThan(0.6)
    // each cited quote is explained by its own values, not the first one's
    expect(d.evidence.map(e => [e.quote, e.why])).toEqual([
      ['Expected: 12.34', expect.stringContaining('12.34 (expected) with 12.35 (received)')],
      ['Expected: 99.10', expect.stringContaining('99.10 (expected) with 99.11 (received)')],
    ])
  })

  it('a regression: the root cause names the commit range and divide-and-conquer bisects it', () => {
    // its run's reports were Gradle's: the step names Gradle's task of its module, not Maven
    const s = result({
      errorMessage: 'expected: <19.00> but was: <19.60>', file: null, test: 'com.acme.billing.TaxCalculatorTest › vat', variant: null,
      build: { tool: 'gradle', module: 'billing', task: 'test' },
    })
    const { d } = diagnose(evidence({
      samples: [s],
      firstFailure: {
        run: { runId: s.runId, branch: 'main', commit: 'ffff0000aaaa1111', commitMessage: 'fix: tax rounding', startedAt: s.at, buildUrl: null },
        lastGreenRun: { runId: '99999999-0000-4000-8000-000000000000', branch: 'main', commit: 'eeee0000bbbb2222', commitMessage: 'chore: deps', startedAt: '2026-11-18T09:00:00.000Z', buildUrl: null },
        commits: [{ sha: 'ffff0000aaaa1111', message: 'fix: tax rounding', runId: s.runId, at: s.at }],
      },
    }))
    expect(d.category).toBe('assertion')
    expect(d.rootCause).toContain('ffff0000aa')
    expect(d.rootCause).toContain('eeee0000bb')
    expect(d.investigationSteps[2]).toContain('git bisect start ffff0000aa eeee0000bb')
    expect(d.investigationSteps[0]).toContain(`./gradlew :billing:test --tests 'com.acme.billing.TaxCalculatorTest.vat'`)
    expect(d.investigationSteps.join('\n')).not.toContain('mvn')
    expect(d.evidence.some(e => e.quote.startsWith('First failure: run'))).toBe(true)
  })

  it('infrastructure: most of the suite failed in the runs of this cluster', () => {
    const samples = [1, 2, 3].map(i => result({ errorMessage: 'Error: connect ECONNREFUSED 127.0.0.1:5432', test: `repo › test ${i}` }))
    const runId = samples[0]!.runId
    for (const s of samples) s.runId = runId
    const runs = [runStat({ runId, hits: 51, executed: 60, failing: 52, infra: true })]
    const { ctx, d } = diagnose(evidence({ samples, runs, runsTotal: 1, infraHits: 51 }))
    expect(d.category).toBe('infrastructure')
    expect(d.rule).toBe('infrastructure')
    expect(d.summary).toMatch(/^Infrastructure failure: 100% of these failures come from a run where most of the suite failed \(up to 52\/60\)/)
    expect(d.summary).toContain('127.0.0.1:5432 (PostgreSQL)')
    expect(ctx.markdown).toContain(d.evidence[0]!.quote)
    expect(d.investigationSteps[0]).toMatch(/if it passes alone, the test is not the problem/)
    // one shard of a run failed by itself (its 10 tests, then passed on its job's re-run): the run is no outage, the shard was
    const shard = [runStat({ runId, hits: 10, executed: 40, failing: 0, infra: true, uploadOutage: true })]
    const upload = diagnose(evidence({ samples, runs: shard, runsTotal: 1, infraHits: 10 }))
    expect(upload.d.category).toBe('infrastructure')
    expect(upload.d.summary).toMatch(/^Infrastructure failure: 100% of these failures come from a run where the shard or job that ran them failed by itself —/)
    expect(upload.d.evidence[0]!.quote).toBe('10 in an outage of their shard or job')
    expect(upload.ctx.markdown).toContain('10 hits, 0/40 failing (its shard or job failed by itself)')
  })

  it('not infrastructure when the cluster is one error of many in a run where most of the suite failed', () => {
    // 42 of 43 failed with 42 different errors: this cluster is one of them, and no error was shared
    const s = result({ errorMessage: 'AssertionError: expected payload to equal snapshot', test: 'api › renders the invoice' })
    const runs = [runStat({ runId: s.runId, hits: 1, executed: 43, failing: 42, infra: true })]
    const { d } = diagnose(evidence({ samples: [s], runs, runsTotal: 1, infraHits: 1 }))
    expect(d.rule).not.toBe('infrastructure')
    expect(`${d.summary} ${d.rootCause}`).not.toMatch(/same error|Fix the environment/)
    // an outage that failed its 42 tests three ways is infrastructure for each of its causes
    const outage = [runStat({ runId: s.runId, hits: 14, executed: 43, failing: 42, infra: true })]
    expect(diagnose(evidence({ samples: [s], runs: outage, runsTotal: 1, infraHits: 14 })).d.rule).toBe('infrastructure')
  })

  it('flaky: the affected tests are flaky by the rollup, whatever the message says', () => {
    const s = result({ errorMessage: `Error: expect(locator).toBeVisible() failed\n\nLocator: getByTestId('toast-adds')\nExpected: visible\nTimeout: 5000ms\nError: element(s) not found` })
    const { ctx, d } = diagnose(evidence({
      samples: [s],
      affectedTests: [affected({ testCaseId: s.testCaseId, test: s.test, flakyLabel: 'flaky', flakyScore: 0.42, flakyConfidence: 0.3, flakyRuns: 6, failedRuns: 2 })],
    }))
    expect(d.category).toBe('flaky')
    expect(d.summary).toContain(`getByTestId('toast-adds')`)
    expect(d.investigationSteps[0]).toContain('--repeat-each=30')
    expect(ctx.markdown).toContain(d.evidence[0]!.quote)
  })

  // the label shown beside the diagnosis decides, not the score alone: a "new" test at confidence 0.06 was called flaky
  it.each([
    { label: 'flaky', score: 0.42, confidence: 0.3, category: 'flaky' },
    { label: 'new', score: 0.4, confidence: 0.06, category: 'locator' },
    { label: 'stable', score: 0.3, confidence: 0.5, category: 'locator' },
    { label: 'broken', score: 0.6, confidence: 0.9, category: 'locator' },
  ] as const)('the flaky rule reads a test labelled $label (score $score) as $category', ({ label, score, confidence, category }) => {
    const s = result({ errorMessage: `TimeoutError: locator.click: Timeout 10000ms exceeded.\nCall log:\n  - waiting for locator('[data-testid=checkout-button]')` })
    const { d } = diagnose(evidence({
      samples: [s],
      affectedTests: [affected({
        testCaseId: s.testCaseId, test: s.test, flakyLabel: label, flakyScore: score, flakyConfidence: confidence,
        flakyRuns: 1, failedRuns: 2,
      })],
    }))
    expect(d.category).toBe(category)
  })

  it('names a test in prose as lists do (a pytest id decoded, the class before a method); the command keeps the id as pytest spells it', () => {
    const test = 'tests.test_names › test_greet[\\u65e5\\u672c]'
    const s = result({ test, file: null, variant: null, errorMessage: 'AssertionError: assert 1 == 2' })
    const { ctx, d } = diagnose(evidence({
      samples: [s],
      affectedTests: [affected({ testCaseId: s.testCaseId, test, file: null, variant: null, flakyLabel: 'flaky', flakyScore: 0.42, flakyConfidence: 0.3, flakyRuns: 6 })],
    }))
    expect(d.summary).toContain('Flaky: "test_greet[日本]" is flaky')
    expect(d.evidence[0]!.why).toMatch(/^tests\.test_names › test_greet\[日本\] passes and fails/)
    expect(d.investigationSteps[0]).toContain(`pytest 'tests/test_names.py::test_greet[\\u65e5\\u672c]'`)
    expect(JSON.stringify([d.summary, d.rootCause, d.evidence.map(e => e.why)])).not.toContain('\\\\u65e5')
    // the bundle names it so too, with the id a command selects it by where that reads otherwise
    expect(ctx.markdown).toContain('Test: tests.test_names › test_greet[日本] (id as reported: test_greet[\\u65e5\\u672c]) — failed')
    expect(ctx.markdown).toContain('- tests.test_names › test_greet[日本] (test case')
    const jvm = 'com.example.api.ApplicationTests › contextLoads()'
    const flakyJvm = diagnose(evidence({
      samples: [result({ test: jvm, file: null, variant: null })],
      affectedTests: [affected({ test: jvm, file: null, variant: null, flakyLabel: 'flaky', flakyScore: 0.42, flakyConfidence: 0.3 })],
    })).d
    expect(flakyJvm.summary).toContain('Flaky: "ApplicationTests › contextLoads()" is flaky')
  })

  it('a locator cluster that is not flaky stays a locator diagnosis', () => {
    const s = result({ errorMessage: `TimeoutError: locator.click: Timeout 10000ms exceeded.\nCall log:\n  - waiting for locator('[data-testid=checkout-button]')` })
    const { d } = diagnose(evidence({ samples: [s], affectedTests: [affected({ testCaseId: s.testCaseId, flakyLabel: 'broken', flakyScore: 0.1 })] }))
    expect(d.category).toBe('locator')
    expect(d.summary).toContain(`locator('[data-testid=checkout-button]')`)
  })

  it('mentions a resolved similar cluster and its note', () => {
    const { d } = diagnose(evidence({
      samples: [result({ errorMessage: `KeyError: 'MODEL_REGISTRY_URL'` })],
      similarResolved: [{ clusterId: '22222222-2222-4222-8222-222222222222', title: `KeyError: 'MODEL_REGISTRY_URL'`, status: 'resolved', note: 'Secret missing on forks; added to the org secrets.', similarity: 1, lastSeenAt: '2026-10-01T00:00:00.000Z', diagnosisSummary: null }],
    }))
    expect(d.category).toBe('environment')
    expect(d.rootCause).toContain('added to the org secrets')
  })

  it('unknown errors still get cited evidence and all six steps, with low confidence', () => {
    const { d } = diagnose(evidence({ samples: [result({ errorMessage: 'the widget is sad' })] }))
    expect(d.category).toBe('unknown')
    expect(d.evidence).toHaveLength(1)
    expect(d.investigationSteps).toHaveLength(6)
    expect(d.confidence).toBeLessThanOrEqual(0.3)
  })

  it.each([
    ['as stored before', () => 'Build error'],
    ['as ingested now, the message the compiler\'s first line', (stack: string) => stack.split('\n')[0]!],
  ])('a build: each package that did not compile cited at its compiler line, with the command that compiles it (%s)', (_, messageOf) => {
    // go-junit-report's `[build failed]` of test/fixtures/reports/gojunit-build.xml, as a cluster could hold two of them
    const failed = (pkg: string, errorStack: string, n: number) => result({
      resultId: `aaaa000${n}-0000-4000-8000-000000000000`, test: `example.com/shop/internal/${pkg} › [build failed]`, file: null, variant: null,
      status: 'errored', errorMessage: messageOf(errorStack), errorStack,
    })
    const samples = [
      failed('cart', 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration', 1),
      failed('pricing', 'internal/pricing/pricing_test.go:9:12: undefined: Discunt', 2),
    ]
    const { ctx, d } = diagnose(evidence({ samples }))
    expect(d).toMatchObject({ rule: 'compile-error', category: 'build' })
    expect(d.summary).toBe('internal/cart/cart.go does not compile: internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) '
      + 'as string value in variable declaration')
    expect(d.evidence.map(e => [e.resultId, e.quote])).toEqual([
      [samples[0]!.resultId, 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration'],
      [samples[1]!.resultId, 'internal/pricing/pricing_test.go:9:12: undefined: Discunt'],
    ])
    for (const e of d.evidence) expect(ctx.markdown).toContain(e.quote)
    expect(d.suggestedFix).toContain('`go vet ./internal/cart`')
    expect(d.investigationSteps[0]).toContain('`go test example.com/shop/internal/cart`')
    expect(d.investigationSteps[1]).toContain('Run `go vet ./internal/cart` on the failing commit')
    // gotestsum's: the package from go test's own line, the compiler's errors only in the job's log
    const gotestsum = diagnose(evidence({ samples: [result({
      test: 'example.com/shop/internal/cart › TestMain', file: null, variant: null,
      errorMessage: 'FAIL\texample.com/shop/internal/cart [build failed]', errorStack: 'FAIL\texample.com/shop/internal/cart [build failed]',
    })] })).d
    expect(gotestsum).toMatchObject({ category: 'build', summary: 'Go package example.com/shop/internal/cart does not compile: '
      + 'FAIL\texample.com/shop/internal/cart [build failed]' })
    expect(gotestsum.rootCause).toContain('gotestsum prints it in the job\'s log')
    expect(gotestsum.suggestedFix).toContain('`go vet example.com/shop/internal/cart`')
  })
})

describe('reproCommand', () => {
  it.each([
    [{ file: 'tests/cart.spec.ts', test: 'guest › adds item', variant: 'firefox' }, 0, 'npx playwright test tests/cart.spec.ts -g "adds item" --project=firefox'],
    [{ file: 'tests/cart.spec.ts', test: 'guest › adds item', variant: 'firefox' }, 30, 'npx playwright test tests/cart.spec.ts -g "adds item" --project=firefox --repeat-each=30 -x'],
    [{ file: 'tests/test_training.py', test: 'pytest › test_fits_model', variant: null }, 0, `pytest 'tests/test_training.py::test_fits_model'`],
    [{ file: 'tests/test_training.py', test: 'pytest › test_fits_model', variant: null }, 20, `for i in $(seq 20); do pytest 'tests/test_training.py::test_fits_model' || break; done`],
    // pytest's default report (xunit2) names no file: its classname names the module and the classes
    [{ file: null, test: 'pytest › tests.test_pricing.TestInvoice › test_total', variant: null }, 0, `pytest 'tests/test_pricing.py::TestInvoice::test_total'`],
    [{ file: null, test: 'pytest › tests.test_pricing.TestInvoice.TestNested › test_discount', variant: null }, 0,
      `pytest 'tests/test_pricing.py::TestInvoice::TestNested::test_discount'`],
    [{ file: null, test: 'pytest › tests.test_pricing › test_vat[jp-\\xfcn\\xefc\\xf8d\\xe9-\\xa5]', variant: null }, 0,
      `pytest 'tests/test_pricing.py::test_vat[jp-\\xfcn\\xefc\\xf8d\\xe9-\\xa5]'`],
    [{ file: null, test: 'pytest › tests.test_users › test_user_ids[3]', variant: null }, 3, `for i in $(seq 3); do pytest 'tests/test_users.py::test_user_ids[3]' || break; done`],
    // go-junit-report's classname, gotestsum's suite name: the package's import path; each level of the test anchored
    [{ file: null, test: 'example.com/ledger/internal/fx › TestConvert/eur_to_usd', variant: null }, 0,
      `go test -run '^TestConvert$/^eur_to_usd$' example.com/ledger/internal/fx`],
    [{ file: null, test: 'example.com/ledger/internal/money › TestFormat/yen_¥.(1)', variant: null }, 10,
      `go test -run '^TestFormat$/^yen_¥\\.\\(1\\)$' example.com/ledger/internal/money -count=10 -failfast`],
    [{ file: null, test: 'example.com/ledger/internal/fx › [build failed]', variant: null }, 0, 'go test example.com/ledger/internal/fx'],
    [{ file: null, test: 'gotest.tools/gotestsum/testjson/internal/badmain › TestMain', variant: null }, 0, 'go test gotest.tools/gotestsum/testjson/internal/badmain'],
    // go-junit-report's name for a package whose TestMain exited (test/fixtures/reports/gojunit-build.xml)
    [{ file: null, test: 'example.com/shop/internal/orders › Failure', variant: null }, 0, 'go test example.com/shop/internal/orders'],
    // libtest (cargo test): its suite `test` and the module path; a doc-test by its item
    [{ file: null, test: 'test › tests::query_parser › unwrap_on_none_panics', variant: null }, 0, 'cargo test tests::query_parser::unwrap_on_none_panics -- --exact'],
    [{ file: null, test: 'test › tests › tokenizes_unicode_größe', variant: null }, 0, 'cargo test tests::tokenizes_unicode_größe -- --exact'],
    [{ file: null, test: 'test › crate › adds', variant: null }, 5, 'for i in $(seq 5); do cargo test adds -- --exact || break; done'],
    [{ file: null, test: 'test › integration › adds_through_the_api', variant: null }, 0, 'cargo test adds_through_the_api -- --exact'],
    [{ file: null, test: 'test › src/lib.rs › parse_cents (line 14)', variant: null }, 0, 'cargo test --doc parse_cents'],
    [{ file: null, test: 'test › src/ledger.rs › Ledger<T>::add (line 3)', variant: null }, 0, `cargo test --doc 'Ledger<T>::add'`],
    [{ file: 'src/orders/orders.test.ts', test: 'OrdersService › totals', variant: null }, 0, 'npx vitest run src/orders/orders.test.ts -t "totals"'],
    [{ file: 'pkg/orders/orders_test.go', test: 'TestSync', variant: null }, 5, `go test -run '^TestSync$' ./pkg/orders -count=5 -failfast`],
    // a JVM test: the build its run says ran it, in its module; nothing tool-specific when the run does not say
    [{ file: null, test: 'com.example.api.ApplicationTests › contextLoads()', variant: null, build: { tool: 'gradle' as const, module: 'api', task: 'test' } }, 0,
      `./gradlew :api:test --tests 'com.example.api.ApplicationTests.contextLoads'`],
    [{ file: null, test: 'com.example.CartTest$WhenEmpty › total()', variant: null, build: { tool: 'gradle' as const, module: 'shop/web', task: 'integrationTest' } }, 3,
      `for i in $(seq 3); do ./gradlew :shop:web:integrationTest --tests 'com.example.CartTest$WhenEmpty.total' --rerun || break; done`],
    [{ file: null, test: 'com.example.CartTest › adds an item', variant: null, build: { tool: 'gradle' as const, module: null, task: null } }, 0,
      `./gradlew test --tests 'com.example.CartTest'`],
    [{ file: null, test: 'com.acme.billing.RefundFlowTest › importsAddressInBulk', variant: null, build: { tool: 'maven' as const, module: 'billing', task: 'test' } }, 0,
      `mvn -pl billing -Dtest='RefundFlowTest#importsAddressInBulk' test`],
    [{ file: null, test: 'com.acme.billing.RefundFlowIT › refunds()', variant: null, build: { tool: 'maven' as const, module: '', task: 'verify' } }, 0,
      `mvn -Dit.test='RefundFlowIT#refunds' verify`],
    [{ file: null, test: 'com.acme.billing.RefundFlowTest › importsAddressInBulk', variant: null }, 0,
      'run "com.acme.billing.RefundFlowTest › importsAddressInBulk" alone'],
    // the root project, or a module uploaded from its own folder: `test` where the command runs, never `:test`
    [{ file: null, test: 'com.example.OrderTest › total()', variant: null, build: { tool: 'gradle' as const, module: '', task: 'test' } }, 0,
      `./gradlew test --tests 'com.example.OrderTest.total'`],
    // one class in two modules (folded into one test): run in both
    [{ file: null, test: 'com.example.ApplicationTests › contextLoads()', variant: null, build: { tool: 'gradle' as const, module: ['api', 'web'], task: 'test' } }, 0,
      `./gradlew :api:test :web:test --tests 'com.example.ApplicationTests.contextLoads'`],
    [{ file: null, test: 'com.example.ApplicationTests › contextLoads()', variant: null, build: { tool: 'maven' as const, module: ['api', 'web'], task: 'test' } }, 0,
      `mvn -pl api,web -Dtest='ApplicationTests#contextLoads' test`],
    // a Maven project of its own under a root without a pom.xml
    [{ file: null, test: 'com.acme.billing.InvoiceServiceTest › chargesTax()', variant: null, build: { tool: 'maven' as const, module: 'billing', task: 'test', standalone: true } }, 0,
      `mvn -f billing/pom.xml -Dtest='InvoiceServiceTest#chargesTax' test`],
  ])('%o', (e, repeat, expected) => {
    expect(reproCommand(e, repeat)).toBe(expected)
  })
})

describe('agreement across errors', () => {
  it('an error shown without its stack (same as an earlier one) still counts with that stack', () => {
    const stack = 'java.lang.NullPointerException: Cannot invoke "Invoice.getTotal()" because "invoice" is null\n\tat com.acme.InvoiceService.finalise(InvoiceService.java:89)'
    const samples = [1, 2, 3].map(() => result({ errorMessage: 'Cannot invoke "Invoice.getTotal()" because "invoice" is null', errorStack: stack, file: null, test: 'com.acme.InvoiceServiceTest › finalises', variant: null }))
    const ctx = assembleClusterContext(evidence({ samples }))
    expect(ctx.data.errors.map(e => e.sameStackAs)).toEqual([null, 0, 0])
    const d = diagnoseContext(ctx.data)
    expect(d.rule).toBe('exception')
    expect(d.confidence).toBe(0.5)
    expect(d.evidence).toHaveLength(3)
  })

  it('ephemeral ports are not named as a service to start', () => {
    const f = classifyError('Error: connect ECONNRESET 127.0.0.1:47902')
    expect(f?.facts).toMatchObject({ host: '127.0.0.1', code: 'ECONNRESET' })
    expect(f?.facts.port).toBeUndefined()
  })
})
