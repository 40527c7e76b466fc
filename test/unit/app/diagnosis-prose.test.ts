import { describe, expect, it } from 'vitest'
import { proseSegments, runLabel, shortId, withRunNumbers, type ProseIds } from '../../../utils/diagnosis-prose'

// uuidv7 ids of one upload: the same first 13 digits (the time), different random tails
const RUN = '019ae3f2-7c41-7b10-8a55-3c0d9e61f0a2'
const RESULT_A = '019ae3f2-7c41-7b10-9e12-08f4c2b7d5e1'
const RESULT_B = '019ae3f2-7c41-7b10-a3c9-5d2e6f1a9b47'
const CLUSTER = '019ae3f2-7c42-7001-bf3a-2c7e90d14a66'
const TEST = '019ae3f1-0000-7000-8000-00000000c0de'

describe('shortId', () => {
  it.each([
    { id: RESULT_A, short: 'f4c2b7d5e1'.slice(-8) },
    { id: RESULT_B, short: '2e6f1a9b47'.slice(-8) },
    { id: 'run-7', short: 'run-7' },
  ])('$id → $short', ({ id, short }) => {
    expect(shortId(id)).toBe(short)
  })

  it('tells apart ids that share their time prefix', () => {
    expect(RESULT_A.slice(0, 8)).toBe(RESULT_B.slice(0, 8))
    expect(shortId(RESULT_A)).not.toBe(shortId(RESULT_B))
  })
})

describe('proseSegments', () => {
  const ids: ProseIds = { runs: [RUN], results: { [RESULT_A]: RUN } }
  const CASES: { what: string, text: string, segments: unknown[] }[] = [
    { what: 'plain text', text: 'The code threw.', segments: [{ kind: 'text', text: 'The code threw.' }] },
    {
      what: 'backticks as inline code',
      text: 'Run `npx playwright install` before the tests.',
      segments: [{ kind: 'text', text: 'Run ' }, { kind: 'code', text: 'npx playwright install' }, { kind: 'text', text: ' before the tests.' }],
    },
    {
      what: 'an unmatched backtick stays',
      text: 'a ` alone', segments: [{ kind: 'text', text: 'a ` alone' }],
    },
    {
      what: 'a cited run id links to its page',
      text: `It started in run ${RUN} at 0003ccc.`,
      segments: [
        { kind: 'text', text: 'It started in run ' }, { kind: 'link', text: shortId(RUN), to: `/runs/${RUN}`, id: RUN },
        { kind: 'text', text: ' at 0003ccc.' },
      ],
    },
    {
      what: 'a cited result opens its run',
      text: `see ${RESULT_A}`,
      segments: [{ kind: 'text', text: 'see ' }, { kind: 'link', text: shortId(RESULT_A), to: `/runs/${RUN}`, id: RESULT_A }],
    },
    {
      what: 'an uncited id is linked by the word before it',
      text: `cluster ${CLUSTER}, test case ${TEST}`,
      segments: [
        { kind: 'text', text: 'cluster ' }, { kind: 'link', text: shortId(CLUSTER), to: `/clusters/${CLUSTER}`, id: CLUSTER },
        { kind: 'text', text: ', test case ' }, { kind: 'link', text: shortId(TEST), to: `/tests/${TEST}`, id: TEST },
      ],
    },
    {
      what: 'an id nothing names stays text, and an id in code stays code',
      text: `token ${RESULT_B} and \`${RUN}\``,
      segments: [{ kind: 'text', text: `token ${RESULT_B} and ` }, { kind: 'code', text: RUN }],
    },
  ]

  it.each(CASES)('$what', ({ text, segments }) => {
    expect(proseSegments(text, ids)).toEqual(segments)
  })

  it('a run whose number is known reads as the pages write it, #50; a result keeps its id', () => {
    expect(proseSegments(`passed at abc (run ${RUN}), see ${RESULT_A}`, { ...ids, runNumbers: { [RUN]: 50 } })).toEqual([
      { kind: 'text', text: 'passed at abc (run ' }, { kind: 'link', text: '#50', to: `/runs/${RUN}`, id: RUN },
      { kind: 'text', text: '), see ' }, { kind: 'link', text: shortId(RESULT_A), to: `/runs/${RUN}`, id: RESULT_A },
    ])
  })

  it('a run known by its number links wherever the text names it ("… on main was <id>")', () => {
    expect(proseSegments(`the last green run was ${CLUSTER}.`, { runNumbers: { [CLUSTER]: 7 } })).toEqual([
      { kind: 'text', text: 'the last green run was ' }, { kind: 'link', text: '#7', to: `/runs/${CLUSTER}`, id: CLUSTER }, { kind: 'text', text: '.' },
    ])
  })
})

describe('runs by number outside the prose', () => {
  it.each([
    { what: 'a known run', id: RUN, numbers: { [RUN]: 41 }, label: '#41' },
    { what: 'an unknown run', id: RESULT_A, numbers: { [RUN]: 41 }, label: shortId(RESULT_A) },
    { what: 'no numbers read', id: RUN, numbers: undefined, label: shortId(RUN) },
  ])('runLabel: $what', ({ id, numbers, label }) => {
    expect(runLabel(id, numbers)).toBe(label)
  })

  it('withRunNumbers names a quoted run by its number, whatever its case, and keeps every other id as written', () => {
    const quote = `First failure: run ${RUN.toUpperCase()}; result ${RESULT_A}`
    expect(withRunNumbers(quote, { [RUN]: 41 })).toBe(`First failure: run #41; result ${RESULT_A}`)
    expect(withRunNumbers(quote, undefined)).toBe(quote)
  })
})
