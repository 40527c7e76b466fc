/** Rules for failures of the code under test: a failed check, a wait that ran out, an exception. */
import { anyOf, clip, duration, extractExpectation, extractWait, goRuntimeErrorInCode, opensWithException } from '../extract'
import type { MessageRule } from '../types'

const EXCEPTIONS = [
  'NullPointerException', 'TypeError', 'ReferenceError', 'AttributeError', 'NameError', 'IndexError', 'KeyError', 'ValueError',
  'ZeroDivisionError', 'IllegalStateException', 'IllegalArgumentException', 'ClassCastException', 'ArrayIndexOutOfBoundsException',
  'IndexOutOfBoundsException', 'UnsupportedOperationException', 'ConcurrentModificationException', 'NoMethodError', 'RangeError',
  'SyntaxError', 'RuntimeError', 'InvalidOperationException', 'NullReferenceException', 'KeyNotFoundException', 'ArgumentException',
  'DivideByZeroException', 'cannot unmarshal', 'unexpected end of JSON input', 'nil pointer dereference', 'index out of range',
  'division by zero', 'Cannot read propert(?:y|ies) of (?:undefined|null)', 'is not a function', 'is not defined',
  'Unhandled(?: promise)? rejection', 'Uncaught',
]

export const assertion: MessageRule = {
  id: 'assertion', category: 'assertion',
  patterns: [
    {
      // explicit expected/received pairs: an assertion even when the message also mentions the matcher's timeout
      strength: 0.75,
      match: anyOf('im',
        /^\s*Expected(?: value| string| substring| pattern| length)?:\s*.+\n(?:.*\n)??\s*Received(?: value| string| length)?:/,
        /expected:?\s*<.*?>\s*but was:?\s*<|Expected:\s*<.*?>\.\s*Actual:|^\s*Expected:\s*.+\n\s*(?:Actual|But was):/,
        /^\s*expected\s*:.+\n\s*(?:got|actual)\s*:|assertion `left [=!]= right` failed|Failed asserting that/,
        // Hamcrest: "Expected: <matcher>\n     but: <what it saw>", even when what it saw is an exception
        /^Expected: .+\n\s+but: /,
      ),
      facts: text => extractExpectation(text),
    },
    {
      strength: 0.7, pass: 'broad',
      match: anyOf('i',
        /AssertionError|AssertionFailedError|ComparisonFailure|\bassertion (?:error|failure|failed)\b|expect\(/,
        /\bExpected\b[^\n]*\n[^\n]*\b(?:Received|Actual|got)\b|expected:?\s*</,
        /expected .+ to (?:deeply |strictly )?(?:equal|be|eql|include|contain|match|have)|\bexpected value did not match/,
        /\bassert\b.+(?:==|!=)|Assert\.\w+|!==|should (?:equal|be|have|match|contain)|Not equal:|to equal/,
        /error: (?:check|require)(?:_\w+)?\(|\b(?:EXPECT|ASSERT)_(?:EQ|NE|TRUE|FALSE|LT|LE|GT|GE)\b|error: expected\b/,
        /\.(?:c|cc|cpp|cxx|h|hpp):\d+: error: /,
      ),
      // `KeyError: 'price'` raised while evaluating `assert total(line) == 5.0` is an exception, not a failed assertion
      when: text => !opensWithException(text),
      facts: text => extractExpectation(text),
    },
    {
      // go test: a `t.Error`/`t.Fatal` line (`price_test.go:18: ParsePrice("12,50") = 1250, want 12.5`) that no rule
      // explained is a failed check
      strength: 0.5, pass: 'any-go-check',
      match: /^\s*\w+_test\.go:\d+: \S/m,
      facts: text => extractExpectation(text),
    },
  ],
  describe: (f) => {
    const x = f.facts
    const values = x.expected != null || x.received != null ? `expected ${x.expected ?? '?'}, received ${x.received ?? '?'}` : f.line
    const status = [x.expected, x.received].every(v => v && /^"?[1-5]\d\d"?$/.test(v))
    const statusNote = status ? ' The values are HTTP statuses: the endpoint answered differently, look at its response body and logs.' : ''
    return {
      summary: `Assertion failed: ${values}`,
      rootCause: `The code produced ${x.received ?? 'a different value'} where the test expects `
        + `${x.expected ?? 'another one'}.${statusNote} Either the behaviour changed (a regression or an intended `
        + `change the test does not know about yet) or the test's inputs changed (fixtures, time, locale, ordering).`,
      fix: `Decide which side is right: if ${x.expected ?? 'the expected value'} is still correct, fix the code path that now `
        + `returns ${x.received ?? 'the received value'}; if the change was intended, update the expectation in the same change.`,
      look: `Print the inputs that produce ${x.received ?? 'the received value'} and compare `
        + 'them with a green run (fixtures, clock, locale, random seeds, ordering).',
      change: 'Change one thing: revert the suspect change alone and see whether the expected value returns.',
      plug: 'Check the plug: same fixtures/seed data, timezone and locale as '
        + 'the last green run, and the right service version behind the test.',
    }
  },
  why: x => x.expected != null || x.received != null
    ? `The assertion compares ${x.expected ?? '?'} (expected) with ${x.received ?? '?'} (received).`
    : 'The failing assertion.',
}

export const timeout: MessageRule = {
  id: 'timeout', category: 'timeout',
  patterns: [{
    strength: 0.65,
    match: anyOf('i',
      /Timeout (?:of )?\d+\s?ms exceeded|Test timeout of|Exceeded timeout of|timed out|TimeoutError|TimeoutException|deadline exceeded/,
      /did not respond within|Timeout\s*>\s*[\d.]+s|took longer than|Async callback was not invoked within/,
    ),
    facts: text => extractWait(text),
  }],
  describe: (f) => {
    const { ms, waitingFor } = f.facts
    return {
      summary: `Timed out${ms ? ` after ${duration(ms)}` : ''} waiting for `
        + `${waitingFor ?? 'something that never happened (see the message)'}`,
      rootCause: `The test waited for ${waitingFor ?? 'a condition'} and it did not happen in time. Either it never happens (a real `
        + 'bug or a changed flow), or it happens later than before (slower environment, more data, a dependency that got slow).',
      fix: `Find out whether ${waitingFor ?? 'the awaited condition'} eventually happens: if never, fix the flow that should `
        + 'produce it; if late, fix the slowness or wait on the right signal — raise the timeout only with a measured reason.',
      look: 'Look at the trace/logs of the cited run around the wait: the last '
        + 'thing that did happen, and how long the same step took in green runs.',
      change: 'Change one thing: raise the timeout once as an experiment (to tell "slow" from "never"), then revert it.',
      plug: 'Check the plug: was the service the test waits on up and reachable, and was the runner unusually loaded?',
    }
  },
  why: x => `The wait that ran out${x.waitingFor ? `: ${x.waitingFor}` : ''}.`,
}

export const exception: MessageRule = {
  id: 'exception', category: 'crash',
  patterns: [
    {
      // go test: `panic: runtime error: invalid memory address or nil pointer dereference` in the program's own code
      strength: 0.75,
      match: /^\s*panic: runtime error: .+/m,
      when: goRuntimeErrorInCode,
      facts: text => ({
        exception: text.match(/nil pointer dereference|index out of range|slice bounds out of range|integer divide by zero/)?.[0]
          ?? 'a runtime error',
        detail: clip(text.match(/panic: runtime error: (.+?)(?: \[recovered\])?$/m)?.[1], 160),
      }),
    },
    {
      strength: 0.5, pass: 'broad',
      match: new RegExp(`\\b(?:${EXCEPTIONS.join('|')})\\b`, 'i'),
      facts: text => ({
        exception: text.match(/\b([\w.]*(?:Exception|Error)|nil pointer dereference|index out of range)\b/)?.[1],
        detail: clip(text.match(/(?:Exception|Error) ?:\s*(.+)/)?.[1], 160),
      }),
    },
    {
      // last resort: any thrown exception or error class at the start of a line ("Exception: x", "com.acme.FooException: y")
      strength: 0.4, pass: 'any-exception',
      match: /^\s*(?:E\s+)?(?:[\w$]+\.)*[\w$]*(?:Exception|Error)(?: \[\w+\])? ?:\s/m,
      facts: text => ({
        exception: text.match(/^\s*(?:E\s+)?((?:[\w$]+\.)*[\w$]*(?:Exception|Error))(?: \[\w+\])? ?:\s/m)?.[1],
        detail: clip(text.match(/(?:Exception|Error)(?: \[\w+\])? ?:\s*(.+)/)?.[1], 160),
      }),
    },
  ],
  describe: (f, ctx) => {
    const { exception: name, detail } = f.facts
    const at = ctx.cluster.location ? ` at ${ctx.cluster.location}` : ''
    return {
      summary: `${name ?? 'An unexpected exception'} thrown${at}${detail ? `: ${detail}` : ''}`,
      rootCause: `The code under test threw ${name ?? 'an exception'} instead of returning a result: a `
        + 'value that was expected to exist is missing (null/undefined/absent key) or of the '
        + `wrong type${detail ? ` — "${detail}"` : ''}. The top frame of the stack shows where.`,
      fix: 'Fix the code at the top frame: handle the missing value or fix the caller that passes it; add a test that covers this input.',
      look: 'Set a breakpoint (or log) just before the throwing line and print the '
        + 'value that is null/undefined/of the wrong type, and where it came from.',
      change: 'Change one thing: guard or fix that one value and re-run.',
      plug: 'Check the plug: test data present and migrated, mocks returning what the code expects.',
    }
  },
}
