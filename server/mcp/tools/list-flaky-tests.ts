import { listFlakyTestsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFlakyTests } from '../../services/test-cases'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { named } from '../project'

export const listFlakyTestsTool = defineTool({
  name: 'list_flaky_tests',
  title: 'Flaky tests',
  description: 'Tests by flakiness score 0-1; broken = really failing, fix it. Next: get_test_case.',
  input: projectParamsSchema.extend(listFlakyTestsQuerySchema.shape),
  output: OUTPUTS.list_flaky_tests,
  shorten: 'limit',
  run: async (scope, { projectSlug, ...query }) => {
    const page = await listFlakyTests(scope, projectSlug, query)
    return { ...page, items: page.items.map(t => named(t, t.suitePath)) }
  },
})
