import { getClusterContextTool } from './get-cluster-context'
import { getClusterDiagnosisTool } from './get-cluster-diagnosis'
import { getClusterTool } from './get-cluster'
import { getProjectTool } from './get-project'
import { getRunTool } from './get-run'
import { getTestCaseTool } from './get-test-case'
import { listClustersTool } from './list-clusters'
import { listFailedCasesTool } from './list-failed-cases'
import { listFlakyTestsTool } from './list-flaky-tests'
import { listProjectsTool } from './list-projects'
import { listRunsTool } from './list-runs'

/** The eleven read-only tools, in the order tools/list gives them. */
export const TOOLS = [
  listProjectsTool, getProjectTool, listRunsTool, getRunTool, listFailedCasesTool, listFlakyTestsTool,
  getTestCaseTool, listClustersTool, getClusterTool, getClusterDiagnosisTool, getClusterContextTool,
]
