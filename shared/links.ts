/**
 * The paths of the dashboard's pages: receipts, the CLI's summary, MCP answers and every NuxtLink build links
 * with these, so a link printed anywhere opens the page it names.
 */
export const links = {
  project: (slug: string) => `/projects/${encodeURIComponent(slug)}`,
  projectClusters: (slug: string) => `/projects/${encodeURIComponent(slug)}/clusters`,
  projectFlaky: (slug: string) => `/projects/${encodeURIComponent(slug)}/flaky`,
  projectTests: (slug: string) => `/projects/${encodeURIComponent(slug)}/tests`,
  projectSettings: (slug: string) => `/projects/${encodeURIComponent(slug)}/settings`,
  run: (runId: string) => `/runs/${runId}`,
  testCase: (testCaseId: string) => `/tests/${testCaseId}`,
  cluster: (clusterId: string) => `/clusters/${clusterId}`,
  apiKeys: () => '/settings/keys',
  search: (q?: string) => (q ? `/search?q=${encodeURIComponent(q)}` : '/search'),
  compare: (runId: string, to?: string) => `/compare/${runId}${to ? `?to=${encodeURIComponent(to)}` : ''}`,
  attachment: (attachmentId: string) => `/api/attachments/${attachmentId}`,
  /** The Playwright trace viewer the app serves, opening a stored trace.zip (same origin: the session cookie opens it). */
  traceViewer: (attachmentId: string) => `/trace-viewer/index.html?trace=${encodeURIComponent(`/api/attachments/${attachmentId}`)}`,
}
