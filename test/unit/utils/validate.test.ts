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
  ])('%s', (_name, schema, input, expected) => {
    expect(sentence(schema, input)).toBe(expected)
  })
})
