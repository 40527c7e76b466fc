import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FINGERPRINT_VERSION, fingerprintFailure, type FailureSignal } from '../../../server/analysis/fingerprint'
import { clusterQuality, worstClusters } from '../../../server/analysis/metrics'
import { parseReport } from '../../../server/ingest'
import { fixture } from '../ingest/helpers'

/*
 * Samples are real: copied from ../shared/corpus reports and from the runs in test/fixtures/failures/sources (jest,
 * vitest, mocha, Playwright, pytest, go test, JUnit 5, RSpec, NUnit on Mono), trimmed to the lines that matter.
 */

const fp = (message: string | null, stack: string | null = null) => fingerprintFailure({ message, stack })!
const ESC = '\u001B'

interface Pair {
  rule: string
  a: FailureSignal
  b: FailureSignal
}

const m = (message: string | null, stack: string | null = null): FailureSignal => ({ message, stack })

/** Two occurrences of one cause that differ only in what the rule masks: one fingerprint. */
const goNil = (fn: string, file: string) => m('panic: runtime error: invalid memory address or nil pointer dereference [recovered]',
  `panic: runtime error: invalid memory address or nil pointer dereference [recovered]\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x5e9531]\n\ngoroutine 30 [running]:\npanic({0x61b8a0?, 0x8a4c10?})\n\t/usr/local/go/src/runtime/panic.go:770 +0x132\n${fn}(0x0)\n\t${file} +0x1a`)
const SAME: Pair[] = [
  // a frame in the module cache is a dependency's: the program's function that called it keys
  {
    rule: 'Go nil pointer through a dependency (module cache) and without it',
    a: goNil('example.com/ledger/internal/money.(*Parser).Parse', '/builds/acme/ledger/internal/money/parse.go:41'),
    b: goNil('github.com/shopspring/decimal.(*Decimal).String(0x0)\n\t/go/pkg/mod/github.com/shopspring/decimal@v1.3.1/decimal.go:1042 +0x1a\nexample.com/ledger/internal/money.(*Parser).Parse', '/builds/acme/ledger/internal/money/parse.go:44'),
  },
  {
    rule: 'ANSI colours, also with the ESC lost in XML',
    a: m(`Error: ${ESC}[2mexpect(${ESC}[22m${ESC}[31mreceived${ESC}[39m${ESC}[2m).${ESC}[22mtoBe${ESC}[2m(${ESC}[22m${ESC}[32mexpected${ESC}[39m${ESC}[2m) // Object.is equality${ESC}[22m\n\nExpected: ${ESC}[32m4${ESC}[39m\nReceived: ${ESC}[31m3${ESC}[39m`),
    b: m('Error: [2mexpect([22m[31mreceived[39m[2m).[22mtoBe[2m([22m[32mexpected[39m[2m) // Object.is equality[22m\n\nExpected: [32m7[39m\nReceived: [31m6[39m'),
  },
  {
    rule: 'numbers, decimals and thousands',
    a: m('expected \'1.234,50 €\' to be \'€1,234.50\' // Object.is equality'),
    b: m('expected \'1.000.000,00 €\' to be \'€1,000,000.00\' // Object.is equality'),
  },
  {
    rule: 'numbers inside expected/received values',
    a: m('expected: <19.98> but was: <20.0>', 'org.opentest4j.AssertionFailedError: expected: <19.98> but was: <20.0>\n\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)'),
    b: m('expected: <12.75> but was: <15.0>', 'org.opentest4j.AssertionFailedError: expected: <12.75> but was: <15.0>\n\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)'),
  },
  {
    rule: 'durations',
    a: m('TimeoutError: locator.click: Timeout 300ms exceeded.\nCall log:\n  - waiting for locator(\'#checkout\')\n'),
    b: m('TimeoutError: locator.click: Timeout 400ms exceeded.\nCall log:\n  - waiting for locator(\'#checkout\')\n'),
  },
  {
    rule: 'durations in words and with a space',
    a: m('Exceeded timeout of 50 ms for a test.'),
    b: m('Exceeded timeout of 80 ms for a test.'),
  },
  {
    rule: 'UUIDs',
    a: m('TimeoutError: worker 6f1c2d3e-8a9b-4c5d-9e0f-112233445566 did not respond within 45s'),
    b: m('TimeoutError: worker 0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 did not respond within 80s'),
  },
  {
    rule: 'hex ids and hashes (Mono module ids, IL offsets)',
    a: m('System.NullReferenceException : Object reference not set to an instance of an object', 'at Shop.Orders.ShipTo (Shop.Customer c) [0x00001] in <c5be342e58a74f939f479f2c0327c751>:0\nat Shop.Tests.OrdersTests.LockerHasCity () [0x00012] in <c5be342e58a74f939f479f2c0327c751>:0'),
    b: m('System.NullReferenceException : Object reference not set to an instance of an object', 'at Shop.Orders.ShipTo (Shop.Customer c) [0x00001] in <9ab62b9a5aa241198e9f26a6cfe54a05>:0\nat Shop.Tests.OrdersTests.PickupHasCity () [0x00012] in <9ab62b9a5aa241198e9f26a6cfe54a05>:0'),
  },
  {
    rule: 'memory addresses',
    a: m('expected `#<Cart:0x00007fcb26f858d8 @items=[nil]>.empty?` to be truthy, got false'),
    b: m('expected `#<Cart:0x00007fcb26ef64f8 @items=[nil]>.empty?` to be truthy, got false'),
  },
  {
    rule: 'hosts and ports',
    a: m('Error: connect ECONNREFUSED 127.0.0.1:35471', 'Error: connect ECONNREFUSED 127.0.0.1:35471\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)'),
    b: m('Error: connect ECONNREFUSED 127.0.0.1:46619', 'Error: connect ECONNREFUSED 127.0.0.1:46619\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)'),
  },
  {
    rule: 'host names with ports',
    a: m('Connection to localhost:5433 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.'),
    b: m('Connection to db.ci.internal:5439 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.'),
  },
  {
    rule: 'URLs: host, port and query masked',
    a: m('Error: expect(page).toHaveURL(expected) failed\n\nExpected pattern: /\\/dashboard$/\nReceived string:  "http://127.0.0.1:39621/login?next=%2Fdashboard&t=1795421098900"'),
    b: m('Error: expect(page).toHaveURL(expected) failed\n\nExpected pattern: /\\/dashboard$/\nReceived string:  "http://127.0.0.1:41877/login?next=%2Fdashboard&t=1795421101234"'),
  },
  {
    rule: 'URLs of an unreachable host: the page does not matter',
    a: m('Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:43233/recommendations\nCall log:\n  - navigating to "http://127.0.0.1:43233/recommendations", waiting until "load"'),
    b: m('Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:42261/reviews\nCall log:\n  - navigating to "http://127.0.0.1:42261/reviews", waiting until "load"'),
  },
  {
    rule: 'emails, also unusual ones',
    a: m('Address aba@bab.com should have thrown InvalidEmailAddressException'),
    b: m('Address user-without-host@test.com should have thrown InvalidEmailAddressException'),
  },
  {
    rule: 'emails without a dot or with non-ASCII domains',
    a: m('Invalid email address \'user@ñandú.com.ar\''),
    b: m('Invalid email address \'user@host\''),
  },
  {
    rule: 'temp paths (mkdtemp)',
    a: m('ENOENT: no such file or directory, open \'/tmp/vt-twkWZD/settings.json\''),
    b: m('ENOENT: no such file or directory, open \'/tmp/vt-lXKCAT/settings.json\''),
  },
  {
    rule: 'temp paths (pytest tmp_path, named after the test)',
    a: m('FileNotFoundError: [Errno 2] No such file or directory: \'/tmp/pytest-of-root/pytest-2/test_loads_config0/config.yaml\''),
    b: m('FileNotFoundError: [Errno 2] No such file or directory: \'/tmp/pytest-of-root/pytest-7/test_loads_config_for_second_t0/tenant-b/config.yaml\''),
  },
  {
    rule: 'temp paths (.NET, random directory)',
    a: m('System.IO.DirectoryNotFoundException : Could not find a part of the path "/tmp/d0ece57224314a4eb713aa6cdc32be79/receipt.html".'),
    b: m('System.IO.DirectoryNotFoundException : Could not find a part of the path "/tmp/35aa2df462b7439798f323aed95dfab3/receipt.html".'),
  },
  {
    rule: 'absolute paths (machine and checkout differ)',
    a: m('Error: Screenshot comparison failed:\n\n  58 pixels (ratio 0.05 of all image pixels) are different.\n\nExpected: C:\\Users\\white\\work\\mbh-playwright\\mbhfilterdashboard.mbhpages.ts-snapshots\\basescreenshot-chrome-win32.png'),
    b: m('Error: Screenshot comparison failed:\n\n  1 pixels (ratio 0.01 of all image pixels) are different.\n\nExpected: D:\\a\\mbh\\mbh\\mbhfilterdashboard.mbhpages.ts-snapshots\\basescreenshot-chrome-win32.png'),
  },
  {
    rule: 'timestamps and dates',
    a: m('expected \'2026-11-23T08:04:28.984Z\' to be \'2026-11-23\' // Object.is equality'),
    b: m('expected \'2026-11-26T08:04:28.985Z\' to be \'2026-11-26\' // Object.is equality'),
  },
  {
    rule: 'dates in words',
    a: m('Error: token expired at Tue Nov 04 2025 10:00:00 GMT+0000 (Coordinated Universal Time)'),
    b: m('Error: token expired at Sat Jan 17 2026 23:59:12 GMT+0000 (Coordinated Universal Time)'),
  },
  {
    rule: 'line:column',
    a: m('SyntaxError: Unexpected token (12:5)'),
    b: m('SyntaxError: Unexpected token (40:17)'),
  },
  {
    rule: 'Playwright action on the same missing element: the action does not matter',
    a: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByLabel(\'Weight *\')\n'),
    b: m('Error: locator.focus: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByLabel(\'Weight *\')\n'),
  },
  {
    rule: 'locator: .first() and exact options are not the main argument',
    a: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for locator(\'.mat-checkbox-inner-container\').first()\n'),
    b: m('Error: locator.click: Test timeout of 120000ms exceeded.\nCall log:\n  - waiting for locator(\'.mat-checkbox-inner-container\')\n'),
  },
  {
    rule: 'the test file is not hashed (same error from two spec files)',
    a: m('Error: Missing required environment variable STRIPE_SECRET_KEY', 'Error: Missing required environment variable STRIPE_SECRET_KEY\n    at requireEnv (/tmp/failgen/jest/lib/config.js:3:21)\n    at Object.requireEnv (/tmp/failgen/jest/tests/webhooks.test.js:7:12)'),
    b: m('Error: Missing required environment variable STRIPE_SECRET_KEY', 'Error: Missing required environment variable STRIPE_SECRET_KEY\n    at requireEnv (/home/ci/shop/lib/config.js:3:21)\n    at Object.requireEnv (/home/ci/shop/tests/payments.test.js:6:17)'),
  },
  {
    rule: 'the test file is not hashed when the message names it (mocha timeout)',
    a: m('Timeout of 50ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves. (/tmp/failgen/mocha/test/webhooks.spec.js)'),
    b: m('Timeout of 80ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves. (/tmp/failgen/mocha/test/refunds.spec.js)'),
  },
  {
    rule: 'the test title is not hashed (Playwright list-reporter header as the stack, title as the message)',
    a: m('mbhdashboardgcalc.mbhpages.ts:6:5 ganzoni calc negative kg test', '  [chrome] › mbhdashboardgcalc.mbhpages.ts:6:5 › ganzoni calc negative kg test ─────\n\n    Test timeout of 90000ms exceeded.\n\n    Error: locator.click: Test timeout of 90000ms exceeded.\n    Call log:\n      - waiting for getByLabel(\'Weight *\')\n'),
    b: m('mbhdashboardgcalc.mbhpages.ts:77:5 ganzoni calc higher current hgb for lbs test', '  [chrome] › mbhdashboardgcalc.mbhpages.ts:77:5 › ganzoni calc higher current hgb for lbs test ─\n\n    Test timeout of 90000ms exceeded.\n\n    Error: locator.click: Test timeout of 90000ms exceeded.\n    Call log:\n      - waiting for getByLabel(\'Weight *\')\n'),
  },
  {
    rule: 'the test name is not hashed (PHPUnit .phpt name glued to the message)',
    a: m('targeting-traits-with-coversclass-attribute-is-deprecated.phptFailed asserting that string matches format description.'),
    b: m('targeting-traits-with-usesclass-attribute-is-deprecated.phptFailed asserting that string matches format description.'),
  },
  {
    rule: 'the test name is not hashed (Go subtest named in its own message)',
    a: m('Failed', '=== RUN   TestNestedParallelFailures/a\n=== PAUSE TestNestedParallelFailures/a\n=== CONT  TestNestedParallelFailures/a\n    fails_test.go:50: failed sub a\n    --- FAIL: TestNestedParallelFailures/a (0.00s)'),
    b: m('Failed', '=== RUN   TestNestedParallelFailures/d\n=== PAUSE TestNestedParallelFailures/d\n=== CONT  TestNestedParallelFailures/d\n    fails_test.go:50: failed sub d\n    --- FAIL: TestNestedParallelFailures/d (0.00s)'),
  },
  {
    rule: 'the snapshot name (the test title) is not hashed',
    a: m('Error: expect(received).toMatchSnapshot()', 'Error: expect(received).toMatchSnapshot()\n\nSnapshot name: `Header renders for guests 1`\n\n- Snapshot  - 1\n+ Received  + 1\n\n- "<header><h1>Welcome</h1></header>"\n+ "<header><h1>Hello</h1></header>"\n    at Object.toMatchSnapshot (/tmp/failgen/jest/tests/header.test.js:6:30)'),
    b: m('Error: expect(received).toMatchSnapshot()', 'Error: expect(received).toMatchSnapshot()\n\nSnapshot name: `Header renders for members 1`\n\n- Snapshot  - 1\n+ Received  + 1\n\n- "<header><h1>Welcome</h1></header>"\n+ "<header><h1>Hello</h1></header>"\n    at Object.toMatchSnapshot (/tmp/failgen/jest/tests/header.test.js:9:30)'),
  },
  {
    rule: 'pytest "where" lines keep the function, not this test\'s arguments',
    a: m('assert 41.0 == 35.7\n +  where 41.0 = compute_total([{\'price\': 10.0, \'qty\': 1}, {\'price\': 20.0, \'qty\': 1}])'),
    b: m('assert 109.5 == 119.0\n +  where 109.5 = compute_total([{\'price\': 50.0, \'qty\': 1}, {\'price\': 50.0, \'qty\': 1}])'),
  },
  {
    rule: 'decoration (emoji, bullets)',
    a: m('Invalid email address 😋 \'Abc\\@def@example.com\''),
    b: m('Invalid email address \'.user@host.com\''),
  },
]

/** Two causes that look alike: two fingerprints. */
const DIFFERENT: Pair[] = [
  // a Go package under internal/ is the program's own code (only Node's bare `internal/…` frames are the runtime's)
  {
    rule: 'Go nil pointers in two functions of internal packages',
    a: goNil('example.com/ledger/internal/money.(*Parser).Parse', '/builds/acme/ledger/internal/money/parse.go:41'),
    b: goNil('example.com/ledger/internal/fx.(*Table).Rate', '/builds/acme/ledger/internal/fx/rates.go:27'),
  },
  { rule: 'enum values in expected/received', a: m('expected: <PAID> but was: <PENDING>'), b: m('expected: <19.00> but was: <19.60>') },
  { rule: 'two enum mismatches', a: m('expected: <PAID> but was: <PENDING>'), b: m('expected: <REFUNDED> but was: <PAID>') },
  { rule: 'jest enum values', a: m('Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "PAID"\nReceived: "PENDING"'), b: m('Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "REFUNDED"\nReceived: "PAID"') },
  { rule: 'KeyError \'a\' vs \'b\'', a: m('KeyError: \'sku\''), b: m('KeyError: \'price\'') },
  { rule: 'two missing environment variables', a: m('KeyError: \'API_TOKEN\''), b: m('KeyError: \'DB_HOST\'') },
  { rule: 'two missing environment variables (Ruby)', a: m('key not found: "STRIPE_KEY"'), b: m('key not found: "SMTP_HOST"') },
  {
    rule: 'two locators',
    a: m('Error: expect(locator).toBeVisible() failed\n\nLocator: getByTestId(\'toast-saved\')\nExpected: visible\nTimeout: 300ms\nError: element(s) not found'),
    b: m('Error: expect(locator).toBeVisible() failed\n\nLocator: getByTestId(\'toast-error\')\nExpected: visible\nTimeout: 300ms\nError: element(s) not found'),
  },
  {
    rule: 'timeouts waiting for different things',
    a: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByLabel(\'First Name *\')\n'),
    b: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByLabel(\'Document Name *\')\n'),
  },
  {
    rule: 'role locators with different names',
    a: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByRole(\'link\', { name: \'Reports\' })\n'),
    b: m('Error: locator.click: Test timeout of 90000ms exceeded.\nCall log:\n  - waiting for getByRole(\'link\', { name: \'Surgical\', exact: true })\n'),
  },
  { rule: 'two file names in temp directories', a: m('ENOENT: no such file or directory, open \'/tmp/vt-mdRdGV/secrets.json\''), b: m('ENOENT: no such file or directory, open \'/tmp/vt-twkWZD/settings.json\'') },
  { rule: 'HTTP status codes', a: m('Error: Request failed with status code 404'), b: m('Error: Request failed with status code 500') },
  { rule: 'a timeout and a connection refusal', a: m('TimeoutError: timed out'), b: m('ConnectionRefusedError: [Errno 111] Connection refused') },
  {
    rule: 'one wrapper, two causes (Caused by:)',
    a: m('Failed to initialise the order repository', 'java.lang.IllegalStateException: Failed to initialise the order repository\n\tat shop.Shop.openRepository(Shop.java:70)\n\tat shop.TotalTest.repositoryStarts(TotalTest.java:26)\nCaused by: java.net.ConnectException: Connection refused: localhost/127.0.0.1:40331\n\tat shop.Shop.openRepository(Shop.java:68)\n\t... 75 more'),
    b: m('Failed to initialise the order repository', 'java.lang.IllegalStateException: Failed to initialise the order repository\n\tat shop.Shop.migrateRepository(Shop.java:78)\n\tat shop.TotalTest.repositoryMigrates(TotalTest.java:36)\nCaused by: java.io.FileNotFoundException: /tmp/junit11724284108782491920/schema.sql (No such file or directory)\n\tat shop.Shop.migrateRepository(Shop.java:76)\n\t... 75 more'),
  },
  {
    rule: 'one generic exception from two application functions',
    a: m('System.NullReferenceException : Object reference not set to an instance of an object', 'at Shop.Orders.ReceiptTo (Shop.Order o) [0x00001] in <c5be342e58a74f939f479f2c0327c751>:0\nat Shop.Tests.OrdersTests.ReceiptGoesToGuest () [0x0000f] in <c5be342e58a74f939f479f2c0327c751>:0'),
    b: m('System.NullReferenceException : Object reference not set to an instance of an object', 'at Shop.Orders.ShipTo (Shop.Customer c) [0x00001] in <c5be342e58a74f939f479f2c0327c751>:0\nat Shop.Tests.OrdersTests.PickupHasCity () [0x00012] in <c5be342e58a74f939f479f2c0327c751>:0'),
  },
  {
    rule: 'one generic error thrown by the application or by the test',
    a: m('Error: Some error', 'Error: Some error\n    at Object.throwError (C:\\Users\\Michal\\Workspace\\dorny\\test-check\\reports\\jest\\lib\\main.js:2:9)\n    at Object.<anonymous> (C:\\Users\\Michal\\Workspace\\dorny\\test-check\\reports\\jest\\__tests__\\main.test.js:14:11)'),
    b: m('Error: Some error', 'Error: Some error\n    at Object.<anonymous> (C:\\Users\\Michal\\Workspace\\dorny\\test-check\\reports\\jest\\__tests__\\main.test.js:21:11)'),
  },
  {
    rule: 'Go panics in two packages',
    a: m('Failed', '=== RUN   TestAddToEmptyCart\n--- FAIL: TestAddToEmptyCart (0.00s)\npanic: assignment to entry in nil map [recovered]\n\tpanic: assignment to entry in nil map\n\ngoroutine 18 [running]:\ntesting.tRunner.func1.2({0x508ec0, 0x551d40})\n\t/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e\nexample.com/shop/cart.(*Cart).Add(...)\n\t/tmp/failgen/go/cart/cart.go:9\nexample.com/shop/cart.TestAddToEmptyCart(0xc000098680)\n\t/tmp/failgen/go/cart/cart_test.go:7 +0x45'),
    b: m('Failed', '=== RUN   TestReserveLastItem\n--- FAIL: TestReserveLastItem (0.00s)\npanic: assignment to entry in nil map [recovered]\n\tpanic: assignment to entry in nil map\n\ngoroutine 7 [running]:\ntesting.tRunner.func1.2({0x508ec0, 0x551d40})\n\t/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e\nexample.com/shop/inventory.(*Stock).Reserve(...)\n\t/tmp/failgen/go/inventory/inventory.go:9\nexample.com/shop/inventory.TestReserveLastItem(0xc000007d40)\n\t/tmp/failgen/go/inventory/reserve_test.go:7 +0x45'),
  },
  { rule: 'two methods on nil (Ruby)', a: m('undefined method `email\' for nil:NilClass'), b: m('undefined method `name\' for nil:NilClass') },
  { rule: 'a message and a placeholder-only failure', a: m('Failed', '=== RUN   TestFailed\n    fails_test.go:34: this failed\n--- FAIL: TestFailed (0.00s)'), b: m('Failed', '=== RUN   TestFailedWithStderr\nthis is stderr\n    fails_test.go:43: also failed\n--- FAIL: TestFailedWithStderr (0.00s)') },
]

describe('fingerprintFailure: masking', () => {
  it.each(SAME)('one cluster when only $rule differ', ({ a, b }) => {
    const x = fingerprintFailure(a)!
    const y = fingerprintFailure(b)!
    expect(x.fingerprint, `${x.title} | ${x.locator}\n${y.title} | ${y.locator}`).toBe(y.fingerprint)
  })

  it.each(DIFFERENT)('two clusters: $rule', ({ a, b }) => {
    const x = fingerprintFailure(a)!
    const y = fingerprintFailure(b)!
    expect(x.fingerprint, `${x.title} | ${x.locator}`).not.toBe(y.fingerprint)
  })

  it.each([
    ['TimeoutError: worker 6f1c2d3e-8a9b-4c5d-9e0f-112233445566 did not respond within 45s', 'worker <uuid> did not respond within <duration>'],
    ['Error: connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED <host>'],
    ['Address user-without-host@test.com should have thrown InvalidEmailAddressException', 'Address <email> should have thrown InvalidEmailAddressException'],
    ['ENOENT: no such file or directory, open \'/tmp/vt-twkWZD/settings.json\'', 'ENOENT: no such file or directory, open \'<tmp>/settings.json\''],
    ['/home/ivan/prj/tst/tests/failed/checks.cpp:15: error: check_eq(1, 2)Hello world!', '<path>:<n>: error: check_eq(<n>, <n>)Hello world!'],
    ['expected \'2026-11-23T08:04:28.984Z\' to be \'2026-11-23\' // Object.is equality', 'expected \'<ts>\' to be \'<date>\' // Object.is equality'],
    ['Error: Request failed with status code 404', 'Request failed with status code 404'],
    ['expected: <PAID> but was: <PENDING>', 'expected: <PAID> but was: <PENDING>'],
    ['fatal: could not read commit 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345', 'fatal: could not read commit <hash>'],
    ['panic: runtime error: index out of range [5] with length 3', 'runtime error: index out of range [<n>] with length <n>'],
  ])('title of %j is %j', (message, title) => {
    expect(fp(message).title).toBe(title)
  })
})

interface LanguageCase {
  language: string
  signal: FailureSignal
  errorType: string
  category: string
  title: string
  locator?: string
}

const LANGUAGES: LanguageCase[] = [
  {
    language: 'Playwright (JSON reporter)',
    signal: m('Error: expect(locator).toBeEnabled() failed\n\nLocator:  getByRole(\'button\', { name: /zarejestruj/i })\nExpected: enabled\nReceived: disabled\nTimeout:  10000ms\n\nCall log:\n  - Expect "toBeEnabled" with timeout 10000ms\n  - waiting for getByRole(\'button\', { name: /zarejestruj/i })\n    13 × locator resolved to <button disabled type="submit">…</button>'),
    errorType: 'AssertionError', category: 'assertion', title: 'expect(locator).toBeEnabled() failed', locator: 'getByRole(\'button\', { name: /zarejestruj/i })',
  },
  {
    language: 'Playwright strict mode',
    signal: m('Error: locator.click: Error: strict mode violation: getByRole(\'button\', { name: \'Add to cart\' }) resolved to 3 elements:\n    1) <button>Add to cart</button> aka locator(\'div\').filter({ hasText: \'Mug4.5 €Add to cart\' }).getByRole(\'button\')\n\nCall log:\n  - waiting for getByRole(\'button\', { name: \'Add to cart\' })\n'),
    errorType: 'Error', category: 'locator', title: 'locator.click: Error: strict mode violation: getByRole(\'button\', { name: \'Add to cart\' }) resolved to <n> elements:', locator: 'getByRole(\'button\', { name: \'Add to cart\' })',
  },
  {
    language: 'jest (jest-junit: first line as message, details in the body)',
    signal: m('Error: expect(received).toBe(expected) // Object.is equality', 'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 7.5\nReceived: 8\n    at Object.toBe (/tmp/failgen/jest/tests/checkout.test.js:8:50)\n    at Promise.then.completed (/tmp/failgen/node_modules/jest-circus/build/utils.js:298:28)'),
    errorType: 'AssertionError', category: 'assertion', title: 'expect(received).toBe(expected) // Object.is equality',
  },
  {
    language: 'vitest (junit reporter)',
    signal: m('REDIS_URL is not set', 'Error: REDIS_URL is not set\n ❯ test/config.test.js:11:12'),
    errorType: 'Error', category: 'environment', title: 'REDIS_URL is not set',
  },
  {
    language: 'mocha + chai',
    signal: m('expected \'guest\' to equal \'admin\'', 'AssertionError: expected \'guest\' to equal \'admin\'\n    at Context.<anonymous> (file:///tmp/failgen/mocha/test/admin.spec.js:9:64)\n    at process.processImmediate (node:internal/timers:483:21)\n\n      + expected - actual\n\n      -guest\n      +admin\n      '),
    errorType: 'AssertionError', category: 'assertion', title: 'expected \'guest\' to equal \'admin\'',
  },
  {
    language: 'mocha + node:assert',
    signal: m('Expected values to be strictly equal:\n\n2 !== 3\n', 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n2 !== 3\n\n    at Context.<anonymous> (file:///tmp/failgen/mocha/test/admin.spec.js:12:12)'),
    errorType: 'AssertionError', category: 'assertion', title: 'Expected values to be strictly equal:',
  },
  {
    language: 'pytest (E lines of the last frame)',
    signal: m('KeyError: \'API_TOKEN\'', 'def test_api_token_is_bearer():\n>       assert api_token().startswith("pd_")\n\ntests/test_config.py:5: \n_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \nshop/orders.py:25: in api_token\n    return os.environ["API_TOKEN"]\n\nkey = \'API_TOKEN\'\n\n>   ???\nE   KeyError: \'API_TOKEN\'\n\n<frozen os>:679: KeyError'),
    errorType: 'KeyError', category: 'environment', title: '\'API_TOKEN\'',
  },
  {
    language: 'pytest (plain assert, type from the last location line)',
    signal: m(null, 'def test_always_fail():\n        > assert False\n        E assert False\n\n        tests/test_lib.py:25: AssertionError'),
    errorType: 'AssertionError', category: 'assertion', title: 'assert False',
  },
  {
    language: 'pytest summary line',
    signal: m('FAILED tests/test_config.py::test_api_token_is_bearer - KeyError: \'API_TOKEN\''),
    errorType: 'KeyError', category: 'environment', title: '\'API_TOKEN\'',
  },
  {
    language: 'Python unittest traceback',
    signal: m('error', 'Traceback (most recent call last):\n  File "/Users/foo/Projects/python-test/tests/test_lib.py", line 31, in test_error\n    raise Exception("error")\nException: error'),
    errorType: 'Exception', category: 'crash', title: 'error',
  },
  {
    language: 'JUnit 5 (opentest4j)',
    signal: m('expected: <1> but was: <0>', 'org.opentest4j.AssertionFailedError: expected: <1> but was: <0>\n\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)\n\tat org.acme.FlakyTest.testFlaky(FlakyTest.java:16)'),
    errorType: 'org.opentest4j.AssertionFailedError', category: 'assertion', title: 'expected: <n> but was: <n>',
  },
  {
    language: 'JUnit 4 + Hamcrest (multi-line message, "Stacktrace was:" cut)',
    signal: m('Expected: (an instance of java.lang.IllegalArgumentException and exception with message a string containing "This is unexpected")\n     but: exception with message a string containing "This is unexpected" message was "Input=\'\' didn\'t match condition."\nStacktrace was: java.lang.IllegalArgumentException: Input=\'\' didn\'t match condition.\n\tat action.surefire.report.calc.StringUtils.requireNotBlank(StringUtils.java:25)'),
    errorType: 'AssertionError', category: 'assertion', title: 'Expected: (an instance of java.lang.IllegalArgumentException and exception with message a string containing "This is unexpected")',
  },
  {
    language: 'Java with Caused by:',
    signal: m('Failed to initialise the order repository', 'java.lang.IllegalStateException: Failed to initialise the order repository\n\tat shop.Shop.openRepository(Shop.java:70)\nCaused by: java.net.ConnectException: Connection refused: localhost/127.0.0.1:40331\n\tat shop.Shop.openRepository(Shop.java:68)\n\t... 75 more'),
    errorType: 'java.lang.IllegalStateException', category: 'network', title: 'Failed to initialise the order repository',
  },
  {
    language: 'Java helpful NullPointerException',
    signal: m('Cannot invoke "shop.Shop$Customer.email()" because the return value of "shop.Shop$Order.customer()" is null', 'java.lang.NullPointerException: Cannot invoke "shop.Shop$Customer.email()" because the return value of "shop.Shop$Order.customer()" is null\n\tat shop.Shop.receiptTo(Shop.java:29)\n\tat shop.CustomerTest.receiptGoesToGuest(CustomerTest.java:11)'),
    errorType: 'java.lang.NullPointerException', category: 'crash', title: 'Cannot invoke "shop.Shop$Customer.email()" because the return value of "shop.Shop$Order.customer()" is null',
  },
  {
    language: 'go test (t.Errorf)',
    signal: m('Failed', '=== RUN   TestParsePrice/12,50\n    price_test.go:18: ParsePrice("12,50") = 1250, want 12.5\n    --- FAIL: TestParsePrice/12,50 (0.00s)'),
    errorType: 't.Error', category: 'assertion', title: 'ParsePrice("<test>") = <n>, want <n>',
  },
  {
    language: 'go test (panic)',
    signal: m('Failed', '=== RUN   TestMarginColumn\n--- FAIL: TestMarginColumn (0.00s)\npanic: runtime error: index out of range [5] with length 3 [recovered]\n\tpanic: runtime error: index out of range [5] with length 3\n\ngoroutine 6 [running]:\nexample.com/shop/report.Column(...)\n\t/tmp/failgen/go/report/report.go:5'),
    errorType: 'panic', category: 'crash', title: 'runtime error: index out of range [<n>] with length <n>',
  },
  {
    language: '.NET NUnit assertion',
    signal: m('  Expected: Paid\n  But was:  Pending\n', 'at Shop.Tests.OrdersTests.CardPaymentSettles () [0x00026] in <c5be342e58a74f939f479f2c0327c751>:0'),
    errorType: 'AssertionError', category: 'assertion', title: 'Expected: Paid',
  },
  {
    language: '.NET NUnit fixture error',
    signal: m('OneTimeSetUp: System.InvalidOperationException : Operation is not valid due to the current state of the object.'),
    errorType: 'System.InvalidOperationException', category: 'crash', title: 'OneTimeSetUp: System.InvalidOperationException : Operation is not valid due to the current state of the object.',
  },
  {
    language: '.NET xUnit assertion',
    signal: m('Assert.Equal() Failure: Values differ\nExpected: Paid\nActual:   Pending', '   at Shop.Tests.OrdersTests.CardPaymentSettles() in /src/Shop.Tests/OrdersTests.cs:line 12'),
    errorType: 'AssertionError', category: 'assertion', title: 'Assert.Equal() Failure: Values differ',
  },
  {
    language: '.NET NullReferenceException',
    signal: m('System.NullReferenceException : Object reference not set to an instance of an object', 'at Shop.Orders.ReceiptTo (Shop.Order o) [0x00001] in <c5be342e58a74f939f479f2c0327c751>:0'),
    errorType: 'System.NullReferenceException', category: 'crash', title: 'Object reference not set to an instance of an object',
  },
  {
    language: 'RSpec expectation',
    signal: m('expected: "paid"\n     got: "pending"\n\n(compared using ==)', 'Failure/Error: expect(Shop.settle(Order.new(id: rand(100_000), status: \'new\')).status).to eq(\'paid\')\n\n  expected: "paid"\n       got: "pending"\n\n  (compared using ==)\n./spec/orders_spec.rb:5:in `block (2 levels) in <top (required)>\''),
    errorType: 'AssertionError', category: 'assertion', title: 'expected: "paid"',
  },
  {
    language: 'RSpec NoMethodError',
    signal: m('undefined method `email\' for nil:NilClass\n\n    order.customer.email\n                  ^^^^^^', 'Failure/Error: order.customer.email\n\nNoMethodError:\n  undefined method `email\' for nil:NilClass\n\n      order.customer.email\n                    ^^^^^^\n./lib/shop.rb:37:in `receipt_to\'\n./spec/customers_spec.rb:5:in `block (2 levels) in <top (required)>\''),
    errorType: 'NoMethodError', category: 'crash', title: 'undefined method `email\' for nil:NilClass',
  },
  {
    language: 'Rust panic (cargo-nextest)',
    signal: m('thread \'test_failure\' panicked at tests/parry3d.rs:154:5:', 'thread \'test_failure\' panicked at tests/parry3d.rs:154:5:\n                assertion `left == right` failed: 0 must equal 1\n                left: 0\n                right: 1\n                note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace'),
    errorType: 'panic', category: 'assertion', title: 'assertion `left == right` failed: <n> must equal <n>',
  },
  {
    language: 'PHPUnit (test name as message)',
    signal: m('OtherTest::testOther', 'OtherTest::testOther\nWe expect 20 warnings\nFailed asserting that 19 matches expected 20.\n\n/workspace/phpcheckstyle/test/OtherTest.php:24'),
    errorType: 'Error', category: 'assertion', title: 'We expect <n> warnings',
  },
]

describe('fingerprintFailure: languages', () => {
  it.each(LANGUAGES)('$language', ({ signal, errorType, category, title, locator }) => {
    const f = fingerprintFailure(signal)!
    expect({ errorType: f.errorType, category: f.category, title: f.title }).toEqual({ errorType, category, title })
    if (locator) expect(f.locator).toBe(locator)
  })

  it('reports where the failure happened without hashing it', () => {
    const a = fp('Error: Some error', 'Error: Some error\n    at Object.<anonymous> (/repo/__tests__/main.test.js:21:11)')
    expect(a.location).toBe('/repo/__tests__/main.test.js:21')
    expect(fp('x', '  File "/Users/foo/tests/test_lib.py", line 31, in test_error').location).toBe('/Users/foo/tests/test_lib.py:31')
    expect(fp('x', '   at Shop.Tests.OrdersTests.Settles() in /src/Shop.Tests/OrdersTests.cs:line 12').location).toBe('/src/Shop.Tests/OrdersTests.cs:12')
  })

  it('is versioned and stable', () => {
    const a = fp('KeyError: \'sku\'')
    expect(a.version).toBe(FINGERPRINT_VERSION)
    expect(a.fingerprint).toMatch(new RegExp(`^v${FINGERPRINT_VERSION}:[0-9a-f]{24}$`))
    expect(fp('KeyError: \'sku\'').fingerprint).toBe(a.fingerprint)
  })
})

describe('fingerprintFailure: assertions that say only their values', () => {
  const chai = (expected: string, actual: string, at: string) =>
    fp(`AssertionError: expected ${actual} to equal ${expected}`, `AssertionError: expected ${actual} to equal ${expected}\n    at Context.<anonymous> (${at})\n    at processImmediate (node:internal/timers:483:21)`)
  const jest = (expected: string, received: string, at: string) => {
    const text = `Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: ${expected}\nReceived: ${received}`
    return fp(text, `${text}\n    at Object.toBe (${at})\n    at Promise.then.completed (/repo/node_modules/jest-circus/build/utils.js:298:28)`)
  }

  it('keys on the file they failed in: two tests\' wrong numbers in two files are two causes', () => {
    expect(chai('20', '19.6', '/repo/tests/checkout.spec.ts:88:31').fingerprint).not.toBe(chai('3', '5', '/repo/tests/search.spec.ts:51:12').fingerprint)
    expect(jest('7', '6', '/repo/tests/multiply.spec.ts:10:26').fingerprint).not.toBe(jest('4', '3', '/repo/tests/add.spec.ts:10:21').fingerprint)
    const junit = (file: string) => fp('expected: <1> but was: <0>', `org.opentest4j.AssertionFailedError: expected: <1> but was: <0>
\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
\tat org.junit.jupiter.api.Assertions.assertEquals(Assertions.java:528)
\tat org.acme.${file}.counts(${file}.java:18)`)
    expect(junit('CounterTest').fingerprint).not.toBe(junit('TotalTest').fingerprint)
    // Gradle on Java 9+ writes each frame's class loader first ("app//org.junit…"): JUnit's frames are still JUnit's
    const gradle = (file: string) => fp('expected: <1> but was: <0>', `org.opentest4j.AssertionFailedError: expected: <1> but was: <0>
\tat app//org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
\tat app//org.junit.jupiter.api.AssertEquals.failNotEqual(AssertEquals.java:197)
\tat app//org.acme.${file}.counts(${file}.java:18)
\tat java.base@17.0.9/java.lang.reflect.Method.invoke(Method.java:568)`)
    expect(gradle('CounterTest').fingerprint).not.toBe(gradle('TotalTest').fingerprint)
    expect(gradle('CounterTest').location).toBe('CounterTest.java:18')
  })

  it('stay one cause in one file whatever the values, and where a shared helper asserts', () => {
    // the same assertion failing run after run with other numbers, or at a line that moved
    expect(chai('20', '19.6', '/repo/tests/checkout.spec.ts:88:31').fingerprint).toBe(chai('20', '19.58', '/repo/tests/checkout.spec.ts:90:31').fingerprint)
    // a helper's assertion (the first frame outside libraries) shared by the tests of many files
    const helper = (test: string) => fp('AssertionError: expected 500 to equal 200',
      `AssertionError: expected 500 to equal 200\n    at expectOk (/repo/tests/helpers/api.ts:12:20)\n    at Context.<anonymous> (/repo/tests/${test}:9:5)`)
    expect(helper('orders.spec.ts').fingerprint).toBe(helper('refunds.spec.ts').fingerprint)
  })

  /*
   * A monorepo's packages each with a tests/cart.spec.ts, from CI machines that check out at different roots. Jest
   * (jest-junit names no file) shows the root where its runner's node_modules begins; Playwright cuts its own frames
   * but its report gives the test's file relative to its root; Vitest writes frames relative to its root.
   */
  const CHECKOUTS = { github: '/home/runner/work/shop/shop/', gitlab: '/builds/acme/shop/', azure: 'C:\\a\\1\\s\\' }
  const at = (root: string, file: string) => root + (root.includes('\\') ? file.replaceAll('/', '\\') : file)
  const STOREFRONT = 'packages/storefront/tests/cart.spec.ts'
  const ADMIN = 'packages/admin/tests/cart.spec.ts'
  const toBe = (expected: number) => `Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: ${expected}\nReceived: ${expected - 1}`
  const jestRun = (root: string, file: string, expected: number): FailureSignal => ({
    message: toBe(expected),
    stack: `${toBe(expected)}\n    at Object.toBe (${at(root, file)}:14:25)\n    at Promise.then.completed (${at(root, 'node_modules/jest-circus/build/utils.js')}:298:28)`,
  })
  const playwrightRun = (root: string, file: string, expected: number): FailureSignal =>
    ({ message: toBe(expected), stack: `${toBe(expected)}\n    at ${at(root, file)}:14:25`, file })
  const vitestRun = (file: string, expected: number): FailureSignal => {
    const message = `AssertionError: expected ${expected - 1} to be ${expected} // Object.is equality`
    return { message, stack: `${message}\n\n- Expected\n+ Received\n\n- ${expected}\n+ ${expected - 1}\n\n ❯ ${file}:14:25` }
  }
  const crash = (root: string, file: string): FailureSignal => {
    const message = 'TypeError: Cannot read properties of undefined (reading \'total\')'
    return { message, stack: `${message}\n    at ${at(root, file)}:8:20\n    at Object.<anonymous> (${at(root, 'packages/x/tests/cart.spec.ts')}:5:3)`, file: 'packages/x/tests/cart.spec.ts' }
  }
  // a package's helper asserting for its tests; a stack cut short may lack the test's own frame
  const helperRun = (root: string, pkg: string, test: string | null): FailureSignal => ({
    message: toBe(3),
    stack: `${toBe(3)}\n    at ${at(root, `packages/${pkg}/tests/helpers/totals.ts`)}:9:20${test ? `\n    at ${at(root, `packages/${pkg}/tests/${test}`)}:30:5` : ''}`,
    file: `packages/${pkg}/tests/${test ?? 'refunds.spec.ts'}`,
  })
  it.each([
    { case: 'a helper in two packages', a: helperRun(CHECKOUTS.github, 'storefront', 'orders.spec.ts'), b: helperRun(CHECKOUTS.github, 'admin', 'orders.spec.ts'), same: false },
    { case: 'a helper from two tests, one stack without the test\'s frame', a: helperRun(CHECKOUTS.github, 'admin', 'orders.spec.ts'), b: helperRun(CHECKOUTS.gitlab, 'admin', null), same: true },
    { case: 'Jest, two packages\' files of one name', a: jestRun(CHECKOUTS.github, STOREFRONT, 3), b: jestRun(CHECKOUTS.github, ADMIN, 5), same: false },
    { case: 'Jest, one file on two machines', a: jestRun(CHECKOUTS.github, STOREFRONT, 3), b: jestRun(CHECKOUTS.gitlab, STOREFRONT, 7), same: true },
    { case: 'Jest, one file on Linux and Windows', a: jestRun(CHECKOUTS.github, STOREFRONT, 3), b: jestRun(CHECKOUTS.azure, STOREFRONT, 7), same: true },
    { case: 'Playwright, two packages\' files of one name', a: playwrightRun(CHECKOUTS.github, STOREFRONT, 3), b: playwrightRun(CHECKOUTS.github, ADMIN, 5), same: false },
    { case: 'Playwright, one file on two machines', a: playwrightRun(CHECKOUTS.github, ADMIN, 3), b: playwrightRun(CHECKOUTS.azure, ADMIN, 7), same: true },
    { case: 'Playwright, a file URL on Windows', a: playwrightRun(CHECKOUTS.github, ADMIN, 3), b: playwrightRun('file:///C:/a/1/s/', ADMIN, 7), same: true },
    { case: 'Vitest, two packages\' files of one name', a: vitestRun(STOREFRONT, 3), b: vitestRun(ADMIN, 5), same: false },
    { case: 'Vitest, one file at other values', a: vitestRun(ADMIN, 3), b: vitestRun(ADMIN, 7), same: true },
    { case: 'a crash in two packages\' anonymous functions', a: crash(CHECKOUTS.github, 'packages/a/src/cart.ts'), b: crash(CHECKOUTS.github, 'packages/b/src/cart.ts'), same: false },
    { case: 'a crash in one anonymous function on two machines', a: crash(CHECKOUTS.github, 'packages/a/src/cart.ts'), b: crash(CHECKOUTS.gitlab, 'packages/a/src/cart.ts'), same: true },
    // no root in sight (a test's own frame only, no file in the report): the base name, as every machine has it
    { case: 'an absolute frame with no root in sight', a: m(toBe(3), `${toBe(3)}\n    at ${CHECKOUTS.github}${STOREFRONT}:14:25`), b: m(toBe(7), `${toBe(7)}\n    at ${CHECKOUTS.gitlab}${STOREFRONT}:14:25`), same: true },
  ])('key on the file\'s path under the repository root: $case', ({ a, b, same }) => {
    const [x, y] = [fingerprintFailure(a)!, fingerprintFailure(b)!]
    if (same) expect(x.fingerprint).toBe(y.fingerprint)
    else expect(x.fingerprint).not.toBe(y.fingerprint)
  })

  it('keep grouping across files when they say more than values', () => {
    const status = (at: string) => fp(`AssertionError: expected 'PAID' to equal 'REFUNDED'`, `AssertionError: expected 'PAID' to equal 'REFUNDED'\n    at Context.<anonymous> (${at})`)
    expect(status('/repo/tests/refunds.spec.ts:40:10').fingerprint).toBe(status('/repo/tests/orders.spec.ts:12:3').fingerprint)
    const title = (at: string) => fp(`Error: expect(page).toHaveTitle(expected)\n\nExpected string: "Shop"\nReceived string: "Shop – Sale"`, `Error: expect(page).toHaveTitle(expected)\n    at ${at}`)
    expect(title('/repo/e2e/home.spec.ts:5:20').fingerprint).toBe(title('/repo/e2e/cart.spec.ts:7:20').fingerprint)
  })
})

/*
 * Real reports of two packages with files or classes of one name (test/fixtures/reports): Vitest with `test.projects`
 * writes frames relative to each project's root (`❯ tests/cart.spec.ts`) and names the package only in the classname;
 * a JVM frame names its file without a directory (`OrderTest.java`) and its package in its class.
 */
describe('fingerprintFailure: real monorepo reports', () => {
  const failure = (report: string, classname: string) => {
    const r = parseReport(fixture(report)).results.find(x => x.suitePath.at(-1) === classname)!
    return { message: r.errorMessage, stack: r.errorStack, file: r.file, suitePath: r.suitePath }
  }
  const projects = (classname: string) => failure('vitest-projects.xml', classname)
  it.each([
    { case: 'Vitest projects: two packages\' cart.spec.ts', a: projects('packages/admin/tests/cart.spec.ts'), b: projects('packages/storefront/tests/cart.spec.ts'), same: false },
    { case: 'Vitest projects: two packages\' helpers.ts asserting for their tests', a: projects('packages/admin/tests/checkout.spec.ts'), b: projects('packages/storefront/tests/checkout.spec.ts'), same: false },
    { case: 'Vitest projects: a shared package\'s helper (`❯ ../shared/expect-total.ts`) from two packages', a: projects('packages/admin/tests/refund.spec.ts'), b: projects('packages/storefront/tests/refund.spec.ts'), same: true },
    { case: 'Vitest: one file from a project and from a config at the root', a: projects('packages/admin/tests/cart.spec.ts'), b: failure('vitest-root.xml', 'packages/admin/tests/cart.spec.ts'), same: true },
    { case: 'JUnit: two packages\' OrderTest', a: failure('surefire-orders.xml', 'com.acme.orders.OrderTest'), b: failure('surefire-billing.xml', 'com.acme.billing.OrderTest'), same: false },
    { case: 'JUnit: one OrderTest failing with another value', a: failure('surefire-orders.xml', 'com.acme.orders.OrderTest'), b: failure('surefire-orders-rerun.xml', 'com.acme.orders.OrderTest'), same: true },
    { case: 'Vitest at the root: two packages\' cart.spec.ts', a: failure('vitest-root.xml', 'packages/admin/tests/cart.spec.ts'), b: failure('vitest-root.xml', 'packages/storefront/tests/cart.spec.ts'), same: false },
  ])('$case', ({ a, b, same }) => {
    const [x, y] = [fingerprintFailure(a)!, fingerprintFailure(b)!]
    expect(x.title).toBe(y.title)
    if (same) expect(x.fingerprint).toBe(y.fingerprint)
    else expect(x.fingerprint).not.toBe(y.fingerprint)
  })

  it.each([
    ['packages/admin/tests/cart.spec.ts', 'packages/admin/tests/cart.spec.ts:5'],
    ['packages/storefront/tests/checkout.spec.ts', 'packages/storefront/tests/helpers.ts:4'],
    ['packages/admin/tests/refund.spec.ts', 'packages/shared/expect-total.ts:4'],
  ])('Vitest projects: %s fails at its path under the repository (%s), which links to the file', (classname, location) => {
    expect(fingerprintFailure(projects(classname))!.location).toBe(location)
  })
})

/*
 * Rust (test/fixtures/reports/cargo-*.xml): libtest's panics as ingest reads them (the message below `panicked at`, the
 * stack from that line on), and cargo-nextest's, the same panic in the failure's body.
 */
describe('fingerprintFailure: Rust panics', () => {
  const failures = (report: string) => new Map(parseReport(fixture(report)).results.filter(r => r.status === 'failed')
    .map(r => [r.title, fingerprintFailure({ message: r.errorMessage, stack: r.errorStack, file: r.file, suitePath: r.suitePath })!]))
  /** One panic as ingest reads libtest's: the message apart, the stack from the panic's line. */
  const libtest = (message: string, at = 'src/lib.rs:54:39') => m(message, `thread 'tests::t' (7) panicked at ${at}:\n${message}\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace`)

  it('keys the review\'s three causes apart, each titled by what it says, where it panicked', () => {
    const review = new Map([...failures('cargo-2021-failing.xml'), ...failures('cargo-2021-unwrap.xml')])
    expect([...review.keys()].sort()).toEqual(['ranking_is_stable', 'shard_merge_is_flaky', 'unwrap_on_none_panics'])
    expect(new Set([...review.values()].map(f => f.fingerprint)).size).toBe(3)
    expect([...review].map(([test, f]) => [test, f.errorType, f.title, f.location]).sort()).toEqual([
      ['ranking_is_stable', 'panic', 'assertion `left == right` failed: bm25 score drifted', 'src/lib.rs:13'],
      ['shard_merge_is_flaky', 'panic', 'merge race: segment <n> missing', 'src/lib.rs:26'],
      ['unwrap_on_none_panics', 'panic', 'called `Option::unwrap()` on a `None` value', 'src/lib.rs:34'],
    ])
  })

  it('keys a panic alike with and without a backtrace (RUST_BACKTRACE=1 and unset)', () => {
    const [bare, traced] = [failures('cargo-failing.xml'), failures('cargo-failing-all.xml')]
    for (const test of ['totals_match', 'unwrap_on_none', 'unwrap_on_err', 'rejects_negative', 'indexes_lines']) {
      expect(traced.get(test)!.fingerprint, test).toBe(bare.get(test)!.fingerprint)
      expect(traced.get(test)!.location, test).toBe(bare.get(test)!.location)
    }
    expect(new Set([...bare.values()].map(f => f.fingerprint)).size).toBe(bare.size)
  })

  it.each([
    { case: 'an unwrap on None in two files', a: libtest('called `Option::unwrap()` on a `None` value'), b: libtest('called `Option::unwrap()` on a `None` value', 'src/parser.rs:10:5'), same: false },
    { case: 'an unwrap on None at two lines of one file', a: libtest('called `Option::unwrap()` on a `None` value'), b: libtest('called `Option::unwrap()` on a `None` value', 'src/lib.rs:80:3'), same: true },
    { case: 'an assert_eq! with other values', a: libtest('assertion `left == right` failed\n  left: 4\n right: 5'), b: libtest('assertion `left == right` failed\n  left: 7\n right: 9'), same: true },
    { case: 'two panics! that say different things', a: libtest('negative amount: -5'), b: libtest('empty ledger'), same: false },
    {
      case: 'libtest\'s and cargo-nextest\'s report of one panic', a: libtest('called `Option::unwrap()` on a `None` value'),
      b: m('thread \'tests::t\' panicked at src/lib.rs:54:39:', 'thread \'tests::t\' panicked at src/lib.rs:54:39:\n                called `Option::unwrap()` on a `None` value\n                note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace'),
      same: true,
    },
  ])('$case: same cause $same', ({ a, b, same }) => {
    const [x, y] = [fingerprintFailure(a)!, fingerprintFailure(b)!]
    if (same) expect(x.fingerprint).toBe(y.fingerprint)
    else expect(x.fingerprint).not.toBe(y.fingerprint)
  })
})

describe('fingerprintFailure: go-junit-report\'s packages that failed as a whole', () => {
  // its message is the same for every package ("Build error", "Runtime error" for a TestMain that exited): the body says why
  const failures = parseReport(fixture('gojunit-build.xml')).results.filter(r => r.status === 'errored')
  const keyOf = (pkg: string) => {
    const r = failures.find(x => x.suitePath.at(-1) === `example.com/shop/internal/${pkg}`)!
    return fingerprintFailure({ message: r.errorMessage, stack: r.errorStack })!
  }

  it('keys each package\'s compiler error apart, not on the message they share', () => {
    // ingest reads the message from the body (server/ingest/junit-case.ts): the compiler's first line, place and all
    expect(failures.map(r => r.errorMessage)).toEqual([
      'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration',
      'orders: ORDERS_DB is not set',
      'internal/pricing/pricing_test.go:9:12: undefined: Discunt',
      'internal/search/search_test.go:9:2: fmt.Printf format %d has arg Normalize("ABC") of wrong type string',
    ])
    const keys = ['cart', 'orders', 'pricing'].map(keyOf)
    expect(new Set(keys.map(k => k.fingerprint)).size).toBe(3)
    expect(keys.map(k => [k.errorType, k.title])).toEqual([
      ['compile error', 'cannot use <n> (untyped int constant) as string value in variable declaration'],
      ['Error', 'orders: ORDERS_DB is not set'],
      ['compile error', 'undefined: Discunt'],
    ])
  })

  it('keys a failure stored with go-junit-report\'s own message as the same failure ingested now', () => {
    // cart's body is four compiler lines, its message now the first of them
    const stored = (r: typeof failures[number]) => r.title === '[build failed]' ? 'Build error' : 'Runtime error'
    for (const r of failures) {
      const before = fingerprintFailure({ message: stored(r), stack: r.errorStack })!
      const now = fingerprintFailure({ message: r.errorMessage, stack: r.errorStack })!
      expect(now, r.suitePath.at(-1)).toEqual(before)
    }
  })

  it('keeps one compiler error one cause when its line moves', () => {
    const at = (line: number) => fingerprintFailure({ message: 'Build error', stack: `internal/pricing/pricing_test.go:${line}:12: undefined: Discunt` })!.fingerprint
    expect(at(9)).toBe(at(31))
    expect(at(9)).toBe(keyOf('pricing').fingerprint)
  })
})

describe('fingerprintFailure: browsers not installed', () => {
  it('is one cause whichever browser\'s executable Playwright names', () => {
    const launch = (path: string) => fp(`browserType.launch: Executable doesn't exist at ${path}\n╔═══╗\n║ Looks like Playwright Test or Playwright was just installed or updated. ║\n║     npx playwright install ║`)
    const chromium = launch('/ms-playwright/chromium-1140/chrome-linux/chrome')
    expect(launch('/ms-playwright/firefox-1465/firefox/firefox').fingerprint).toBe(chromium.fingerprint)
    expect(launch('/ms-playwright/webkit-2083/pw_run.sh').fingerprint).toBe(chromium.fingerprint)
    expect(launch('C:\\Users\\ci\\AppData\\Local\\ms-playwright\\webkit-2083\\Playwright.exe').fingerprint).toBe(chromium.fingerprint)
  })
})

describe('fingerprintFailure: hostile input', () => {
  it('returns null when there is nothing to read', () => {
    expect(fingerprintFailure({ message: null, stack: null })).toBeNull()
    expect(fingerprintFailure({ message: '', stack: '' })).toBeNull()
    expect(fingerprintFailure({ message: ' \n\t ', stack: '\n\n' })).toBeNull()
  })

  it.each([
    ['a 1 MB single-line message', 'x'.repeat(1 << 20), null],
    ['a 1 MB message of lines', 'Error: boom\n'.repeat(90_000), null],
    ['a 1 MB stack', 'Error: boom', '    at fn (/a/b.js:1:1)\n'.repeat(40_000)],
    ['dotted runs (type and host rules)', 'a.'.repeat(200_000), 'a.'.repeat(200_000)],
    ['slash runs (path rules)', '/a'.repeat(200_000), null],
    ['number runs', '1.'.repeat(200_000), null],
    ['at-sign runs (email rule)', 'a@'.repeat(200_000), null],
    ['hyphen runs (id rule)', 'a1-'.repeat(200_000), null],
    ['unbalanced locators', `Locator: locator('${'('.repeat(100_000)}`, `Call log:\n - waiting for getByText('${'\\'.repeat(100_000)}`],
    ['E lines only', 'E   \n'.repeat(100_000), null],
    ['a Go output without end', 'Failed', `=== RUN   TestX\n${'    x_test.go:1: '.repeat(50_000)}`],
    ['control characters', `\u0000\u0001\u001B[${'9;'.repeat(100_000)}`, '\u001B]'.repeat(100_000)],
  ])('copes with %s', (_, message, stack) => {
    const f = fingerprintFailure({ message, stack })
    expect(f).not.toBeNull()
    expect(f!.title.length).toBeLessThanOrEqual(200)
    expect(f!.locator?.length ?? 0).toBeLessThanOrEqual(200)
  })
})

describe('fingerprintFailure: a failure read before', () => {
  const signal = { message: 'expected:<3> but was:<4>', stack: 'org.opentest4j.AssertionFailedError: expected:<3> but was:<4>\n\tat com.acme.CartTest.total(CartTest.java:42)' }

  it('answers from memory with the same frozen fingerprint, and reads anything else afresh', () => {
    const first = fingerprintFailure(signal)!
    expect(fingerprintFailure({ ...signal })).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    // null and "" read alike, and so are kept alike
    expect(fingerprintFailure({ message: signal.message, stack: null })).toEqual(fingerprintFailure({ message: signal.message, stack: '' }))
    const other = fingerprintFailure({ ...signal, stack: signal.stack.replace('total', 'discount') })!
    expect(other).not.toBe(first)
    expect(other.location).toBe('CartTest.java:42')
  })

  it('keys on what is read: text past the caps does not make another fingerprint, text within them does', () => {
    const long = 'Error: boom\n'.repeat(500)
    expect(fingerprintFailure({ message: `${long}tail one`, stack: null })).toBe(fingerprintFailure({ message: `${long}tail two`, stack: null }))
    expect(fingerprintFailure({ message: 'Error: timeout after 5000 ms', stack: null })!.fingerprint)
      .toBe(fingerprintFailure({ message: 'Error: timeout after 3000 ms', stack: null })!.fingerprint)
  })
})

interface Labelled {
  id: string
  framework: string
  language: string
  source: string
  rootCause: string
  message: string | null
  stack: string | null
}

/**
 * The labelled set of real failures (test/fixtures/failures/README.md). Clusters live per project, so each failure is
 * scored within its project (its corpus file, or the framework run that produced it); the pooled figure, where
 * identical messages of unrelated projects meet, is checked too.
 */
describe('fingerprintFailure on the labelled set', () => {
  const set: Labelled[] = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/failures/labelled.json'), 'utf8'))
  const project = (e: Labelled) => e.source.startsWith('corpus:') ? e.source.slice(0, e.source.indexOf('#')) : e.source
  const fps = set.map(e => fingerprintFailure({ message: e.message, stack: e.stack })?.fingerprint ?? `none:${e.id}`)

  it('has at least 220 real failures from the corpus and from real runs of every framework', () => {
    expect(set.length).toBeGreaterThanOrEqual(220)
    expect(new Set(set.map(e => e.id)).size).toBe(set.length)
    for (const e of set) expect(e.source).toMatch(/^(?:corpus:[\w-]+\/[^#]+#.+|run:[\w-]+)$/)
    const runs = new Set(set.filter(e => e.source.startsWith('run:')).map(e => e.framework))
    expect([...runs].sort()).toEqual(expect.arrayContaining(['go', 'jest', 'junit5', 'mocha', 'playwright', 'pytest', 'vitest']))
  })

  it('clusters each project with purity and completeness of at least 95%', () => {
    const items = set.map((e, i) => ({ truth: `${project(e)} | ${e.rootCause}`, predicted: `${project(e)} | ${fps[i]}` }))
    const q = clusterQuality(items)
    const misses = worstClusters(items, 20).join('\n')
    expect(q.purity, misses).toBeGreaterThanOrEqual(0.95)
    expect(q.completeness, misses).toBeGreaterThanOrEqual(0.95)
  })

  it('keeps purity and completeness of at least 95% even with all projects pooled', () => {
    const items = set.map((e, i) => ({ truth: e.rootCause, predicted: fps[i]! }))
    const q = clusterQuality(items)
    const misses = worstClusters(items, 20).join('\n')
    expect(q.purity, misses).toBeGreaterThanOrEqual(0.95)
    expect(q.completeness, misses).toBeGreaterThanOrEqual(0.95)
  })
})
