import { listFlakyTestsQuerySchema, projectParamsSchema } from '../../../shared/schemas/reads'
import { listFlakyTests } from '../../services/test-cases'
import { defineTool } from '../define'

export const listFlakyTestsTool = defineTool({
  name: 'list_flaky_tests',
  title: 'List flaky tests',
  description: 'Tests ranked by flakiness score (0–1) with confidence, retry-pass/flip counts, last flake. label: flaky, broken (fix, don\'t retry) or any. Next: get_test_case.',
  input: projectParamsSchema.extend(listFlakyTestsQuerySchema.shape),
  run: (scope, { projectSlug, ...query }) => listFlakyTests(scope, projectSlug, query),
})
