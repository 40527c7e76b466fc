import { describe, expect, it } from 'vitest'
import { ingestMetaSchema } from '#shared/schemas/ingest'
import { listRunsQuerySchema } from '#shared/schemas/reads'
import { validator } from '../../../server/utils/validate'

/** The 400's sentence for the input, or null when it is valid. */
function sentence(schema: Parameters<typeof validator>[0], input: unknown): string | null {
  try {
    validator(schema)(input)
    return null
  }
  catch (e) {
    return (e as { message: string }).message
  }
}

describe('validator', () => {
  it.each([
    ['a repeated project (?project=a&project=b)', ingestMetaSchema, { project: ['a', 'b'] }, 'project: one value expected, 2 given: give it once.'],
    ['a missing project', ingestMetaSchema, {}, 'project: Say which project the run belongs to: add ?project=<slug> (or the X-Proofdeck-Project header).'],
    ['a repeated branch on a list', listRunsQuerySchema, { branch: ['main', 'dev', 'x'] }, 'branch: one value expected, 3 given: give it once.'],
    ['a bad value keeps its own sentence', ingestMetaSchema, { project: 'a', commit: 'xyz' }, 'commit: The commit must be a git SHA (7–64 hex characters).'],
    ['one value is fine', ingestMetaSchema, { project: 'a', branch: 'main' }, null],
    ['an escape sequence in a branch', ingestMetaSchema, { project: 'a', branch: 'feat\u001b[2J' }, 'branch: The branch contains a control character (a line break, tab or escape).'],
    ['a line break inside an environment', ingestMetaSchema, { project: 'a', environment: 'e\ninjected' }, 'environment: The environment contains a control character (a line break, tab or escape).'],
    ['a DEL in a default branch', ingestMetaSchema, { project: 'a', defaultBranch: 'ma\u007fin' }, 'defaultBranch: The default branch contains a control character (a line break, tab or escape).'],
    ['a line break at the end of a branch is trimmed', ingestMetaSchema, { project: 'a', branch: 'main\n' }, null],
    ['lines and tabs in a commit message', ingestMetaSchema, { project: 'a', commitMessage: 'fix: x\n\n\tbody' }, null],
    ['a NUL in a commit message', ingestMetaSchema, { project: 'a', commitMessage: 'fix\u0000' }, 'commitMessage: The commit message contains a NUL character.'],
    ['a shard of four', ingestMetaSchema, { project: 'a', shard: '2/4' }, null],
    ['the last of four', ingestMetaSchema, { project: 'a', shard: '4/4' }, null],
    ['a shard past the count', ingestMetaSchema, { project: 'a', shard: '5/4' }, 'shard is this upload\'s shard and the run\'s number of shards, like 2/4 (from 1/1 to 1000/1000).'],
    ['shard zero', ingestMetaSchema, { project: 'a', shard: '0/4' }, 'shard is this upload\'s shard and the run\'s number of shards, like 2/4 (from 1/1 to 1000/1000).'],
    ['more than 1000 shards', ingestMetaSchema, { project: 'a', shard: '1/1001' }, 'shard is this upload\'s shard and the run\'s number of shards, like 2/4 (from 1/1 to 1000/1000).'],
    ['a shard without its count', ingestMetaSchema, { project: 'a', shard: '2' }, 'shard is this upload\'s shard and the run\'s number of shards, like 2/4 (from 1/1 to 1000/1000).'],
    ['a job', ingestMetaSchema, { project: 'a', job: ':jest: Unit tests' }, null],
    ['a job on two lines', ingestMetaSchema, { project: 'a', job: 'e2e\nFAKE' }, 'job: The job contains a control character (a line break, tab or escape).'],
    ['a job past 200 characters', ingestMetaSchema, { project: 'a', job: 'j'.repeat(201) }, 'job: The job is longer than 200 characters.'],
    ['a negative shard', ingestMetaSchema, { project: 'a', shard: '-1/4' }, 'shard is this upload\'s shard and the run\'s number of shards, like 2/4 (from 1/1 to 1000/1000).'],
  ])('%s', (_name, schema, input, expected) => {
    expect(sentence(schema, input)).toBe(expected)
  })
})
