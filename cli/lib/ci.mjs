/**
 * Run metadata from the CI's environment. Pure: give it an env object, get what it says about the run.
 * @param {Record<string, string | undefined>} env
 * `startedAt` is the CI's own start of the job (or pipeline) where the CI exposes one, as written, with the variable it
 * came from in `startedAtVar`: GitLab and Azure Pipelines do; GitHub Actions, CircleCI, Buildkite and Jenkins do not.
 * @returns {{ provider: string | null, branch?: string, commit?: string, commitMessage?: string, buildUrl?: string, runKey?: string,
 *   startedAt?: string, startedAtVar?: string }}
 */
export function detectCi(env) {
  const clean = o => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null && v !== ''))
  /** The first of these variables that is set, as { startedAt, startedAtVar }. */
  const start = (...names) => {
    const name = names.find(n => env[n])
    return name ? { startedAt: env[name], startedAtVar: name } : {}
  }
  const strip = (ref, prefix) => ref?.startsWith(prefix) ? ref.slice(prefix.length) : ref
  // Buildkite documents BUILDKITE_COMMIT as possibly a symbolic name like HEAD; the server takes only a SHA
  const sha = value => /^[0-9a-f]{7,64}$/i.test(value ?? '') ? value : undefined
  if (env.GITHUB_ACTIONS === 'true') {
    const url = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
    return clean({
      provider: 'github', branch: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME, commit: env.GITHUB_SHA, buildUrl: url,
      runKey: env.GITHUB_RUN_ID ? `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || 1}-${env.GITHUB_JOB || 'job'}` : undefined,
    })
  }
  if (env.GITLAB_CI === 'true') {
    return clean({
      provider: 'gitlab', branch: env.CI_COMMIT_REF_NAME, commit: env.CI_COMMIT_SHA, commitMessage: env.CI_COMMIT_MESSAGE,
      buildUrl: env.CI_JOB_URL || env.CI_PIPELINE_URL, runKey: env.CI_JOB_ID ? `gl-${env.CI_PIPELINE_ID}-${env.CI_JOB_ID}` : undefined,
      ...start('CI_JOB_STARTED_AT', 'CI_PIPELINE_CREATED_AT'),
    })
  }
  if (env.CIRCLECI === 'true') {
    return clean({
      provider: 'circleci', branch: env.CIRCLE_BRANCH, commit: env.CIRCLE_SHA1, buildUrl: env.CIRCLE_BUILD_URL,
      runKey: env.CIRCLE_WORKFLOW_ID ? `circle-${env.CIRCLE_WORKFLOW_ID}-${env.CIRCLE_JOB}` : undefined,
    })
  }
  if (env.BUILDKITE === 'true') {
    return clean({
      provider: 'buildkite', branch: env.BUILDKITE_BRANCH, commit: sha(env.BUILDKITE_COMMIT),
      commitMessage: env.BUILDKITE_MESSAGE,
      buildUrl: env.BUILDKITE_BUILD_URL, runKey: env.BUILDKITE_BUILD_ID ? `bk-${env.BUILDKITE_BUILD_ID}-${env.BUILDKITE_JOB_ID}` : undefined,
    })
  }
  if (env.TF_BUILD === 'True' || env.TF_BUILD === 'true') {
    // System.TeamProject is the project's name, which may hold spaces
    const project = env.SYSTEM_TEAMPROJECT && encodeURIComponent(env.SYSTEM_TEAMPROJECT)
    const url = env.SYSTEM_COLLECTIONURI && project && env.BUILD_BUILDID
      ? `${env.SYSTEM_COLLECTIONURI}${project}/_build/results?buildId=${env.BUILD_BUILDID}`
      : undefined
    return clean({
      provider: 'azure', branch: strip(env.SYSTEM_PULLREQUEST_SOURCEBRANCH || env.BUILD_SOURCEBRANCH, 'refs/heads/'), commit: env.BUILD_SOURCEVERSION,
      commitMessage: env.BUILD_SOURCEVERSIONMESSAGE, buildUrl: url, runKey: env.BUILD_BUILDID ? `azure-${env.BUILD_BUILDID}-${env.SYSTEM_JOBID || 'job'}` : undefined,
      // System.PipelineStartTime: set by the agent though not in Microsoft's list, e.g. "2021-10-21 06:28:33+00:00"
      ...start('SYSTEM_PIPELINESTARTTIME'),
    })
  }
  if (env.JENKINS_URL || env.BUILD_TAG?.startsWith('jenkins-')) {
    return clean({
      // a multibranch change request has BRANCH_NAME "PR-24" and its source branch in CHANGE_BRANCH
      provider: 'jenkins', branch: strip(env.CHANGE_BRANCH || env.BRANCH_NAME || env.GIT_BRANCH, 'origin/'),
      commit: env.GIT_COMMIT, buildUrl: env.BUILD_URL, runKey: env.BUILD_TAG,
    })
  }
  return { provider: null }
}
