/** The longest job name the server takes (?job=). */
export const MAX_JOB = 200

/**
 * Run metadata from the CI's environment. Pure: give it an env object (and a reader of the file GitHub Actions names in
 * GITHUB_EVENT_PATH), get what it says about the run.
 * @param {Record<string, string | undefined>} env
 * @param {(path: string) => string} [readFile] reads the event payload, where GitHub gives the repository's default branch
 * `startedAt` is the CI's own start of the job (or pipeline) where the CI exposes one, as written, with the variable it
 * came from in `startedAtVar`: GitLab and Azure Pipelines do; GitHub Actions, CircleCI, Buildkite and Jenkins do not.
 * `defaultBranch` is the repository's default branch (a project the upload creates takes it as its own, not a pull
 * request's branch): GitHub's event payload, GitLab's CI_DEFAULT_BRANCH and Buildkite's pipeline default say it; for a pull
 * request on Azure Pipelines, Jenkins or Buildkite without it, the branch it targets is the closest they say.
 * `ciAttempt` is the attempt of the CI's run where the CI counts them and a retry can upload into the same run: GitHub's
 * GITHUB_RUN_ATTEMPT ("Re-run failed jobs"), Azure's System.JobAttempt, Buildkite's retry count + 1. The server reads a test
 * run again in the same attempt as another matrix leg, in a later one as a retry.
 * `shard` is which of the job's parallel containers this is (`2/4`), where the CI runs them into one run: CircleCI's
 * parallelism (GitLab's and Buildkite's parallel jobs are runs of their own).
 * `job` is the CI's job (the same in each of its shards): jobs that share a run key count their shards apart. GitHub's
 * GITHUB_JOB, GitLab's CI_JOB_NAME without a `parallel:` job's ` 2/4`, Buildkite's step key, else its label (not a
 * parallel job's, which may be numbered), CircleCI's CIRCLE_JOB, Jenkins' JOB_NAME; on one line, cut to what the server
 * takes.
 * @returns {{ provider: string | null, branch?: string, defaultBranch?: string, commit?: string, commitMessage?: string,
 *   buildUrl?: string, runKey?: string, startedAt?: string, startedAtVar?: string, ciAttempt?: string, shard?: string,
 *   job?: string }}
 */
export function detectCi(env, readFile = () => { throw new Error('no reader') }) {
  const clean = o => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null && v !== ''))
  /** The first of these variables that is set, as { startedAt, startedAtVar }. */
  const start = (...names) => {
    const name = names.find(n => env[n])
    return name ? { startedAt: env[name], startedAtVar: name } : {}
  }
  const strip = (ref, prefix) => ref?.startsWith(prefix) ? ref.slice(prefix.length) : ref
  // Buildkite documents BUILDKITE_COMMIT as possibly a symbolic name like HEAD; the server takes only a SHA
  const sha = value => /^[0-9a-f]{7,64}$/i.test(value ?? '') ? value : undefined
  /** A CI's job name as the server takes it: no control character, at most MAX_JOB characters (a pair never cut). */
  // eslint-disable-next-line no-control-regex
  const job = value => value?.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, MAX_JOB).replace(/[\uD800-\uDBFF]$/, '').trim()
  /** A CI's attempt counter as the server takes it (1–32767), `plus` added (Buildkite counts retries from 0). */
  const attempt = (value, plus = 0) => /^\d{1,5}$/.test(value ?? '') && Number(value) + plus >= 1 && Number(value) + plus <= 32_767 ? String(Number(value) + plus) : undefined
  if (env.GITHUB_ACTIONS === 'true') {
    /** The event payload's `repository.default_branch` (every event that runs a workflow names its repository). */
    let defaultBranch
    try {
      defaultBranch = env.GITHUB_EVENT_PATH ? JSON.parse(readFile(env.GITHUB_EVENT_PATH))?.repository?.default_branch : undefined
    }
    catch { /* no payload to read: the server falls back to the branch */ }
    const url = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
    return clean({
      provider: 'github', branch: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME,
      defaultBranch: typeof defaultBranch === 'string' ? defaultBranch : undefined, commit: env.GITHUB_SHA, buildUrl: url,
      // without the attempt: "Re-run failed jobs" re-runs a run's failed shards, which join it as retries (a partial
      // run of their own had been the "previous run" of the next, with every other test "added")
      runKey: env.GITHUB_RUN_ID ? `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_JOB || 'job'}` : undefined,
      ciAttempt: attempt(env.GITHUB_RUN_ATTEMPT), job: job(env.GITHUB_JOB),
    })
  }
  if (env.GITLAB_CI === 'true') {
    return clean({
      provider: 'gitlab', branch: env.CI_COMMIT_REF_NAME, defaultBranch: env.CI_DEFAULT_BRANCH, commit: env.CI_COMMIT_SHA, commitMessage: env.CI_COMMIT_MESSAGE,
      buildUrl: env.CI_JOB_URL || env.CI_PIPELINE_URL, runKey: env.CI_JOB_ID ? `gl-${env.CI_PIPELINE_ID}-${env.CI_JOB_ID}` : undefined,
      ...start('CI_JOB_STARTED_AT', 'CI_PIPELINE_CREATED_AT'),
      job: job(gitlabJob(env.CI_JOB_NAME)),
    })
  }
  if (env.CIRCLECI === 'true') {
    return clean({
      provider: 'circleci', branch: env.CIRCLE_BRANCH, commit: env.CIRCLE_SHA1, buildUrl: env.CIRCLE_BUILD_URL,
      runKey: env.CIRCLE_WORKFLOW_ID ? `circle-${env.CIRCLE_WORKFLOW_ID}-${env.CIRCLE_JOB}` : undefined,
      // a job with `parallelism: n` runs n containers (CIRCLE_NODE_INDEX from 0) that share the job's run key
      shard: /^\d+$/.test(env.CIRCLE_NODE_INDEX ?? '') && /^\d+$/.test(env.CIRCLE_NODE_TOTAL ?? '') && Number(env.CIRCLE_NODE_TOTAL) > 1
        ? `${Number(env.CIRCLE_NODE_INDEX) + 1}/${Number(env.CIRCLE_NODE_TOTAL)}`
        : undefined,
      job: job(env.CIRCLE_JOB),
    })
  }
  if (env.BUILDKITE === 'true') {
    return clean({
      provider: 'buildkite', branch: env.BUILDKITE_BRANCH,
      defaultBranch: env.BUILDKITE_PIPELINE_DEFAULT_BRANCH || env.BUILDKITE_PULL_REQUEST_BASE_BRANCH, commit: sha(env.BUILDKITE_COMMIT),
      commitMessage: env.BUILDKITE_MESSAGE,
      buildUrl: env.BUILDKITE_BUILD_URL, runKey: env.BUILDKITE_BUILD_ID ? `bk-${env.BUILDKITE_BUILD_ID}-${env.BUILDKITE_JOB_ID}` : undefined,
      ciAttempt: attempt(env.BUILDKITE_RETRY_COUNT, 1),
      // the step's key is the same in each of its parallel jobs, where a label numbers them (`Tests %n`, as Buildkite
      // suggests): a parallel job without a key names none (its step's jobs then count their shards together)
      job: job(env.BUILDKITE_STEP_KEY || (env.BUILDKITE_PARALLEL_JOB ? undefined : env.BUILDKITE_LABEL)),
    })
  }
  if (env.TF_BUILD === 'True' || env.TF_BUILD === 'true') {
    // System.TeamProject is the project's name, which may hold spaces
    const project = env.SYSTEM_TEAMPROJECT && encodeURIComponent(env.SYSTEM_TEAMPROJECT)
    const url = env.SYSTEM_COLLECTIONURI && project && env.BUILD_BUILDID
      ? `${env.SYSTEM_COLLECTIONURI}${project}/_build/results?buildId=${env.BUILD_BUILDID}`
      : undefined
    return clean({
      provider: 'azure', branch: strip(env.SYSTEM_PULLREQUEST_SOURCEBRANCH || env.BUILD_SOURCEBRANCH, 'refs/heads/'),
      defaultBranch: strip(env.SYSTEM_PULLREQUEST_TARGETBRANCH, 'refs/heads/'), commit: env.BUILD_SOURCEVERSION,
      commitMessage: env.BUILD_SOURCEVERSIONMESSAGE, buildUrl: url, runKey: env.BUILD_BUILDID ? `azure-${env.BUILD_BUILDID}-${env.SYSTEM_JOBID || 'job'}` : undefined,
      ciAttempt: attempt(env.SYSTEM_JOBATTEMPT),
      // System.PipelineStartTime: set by the agent though not in Microsoft's list, e.g. "2021-10-21 06:28:33+00:00"
      ...start('SYSTEM_PIPELINESTARTTIME'),
    })
  }
  if (env.JENKINS_URL || env.BUILD_TAG?.startsWith('jenkins-')) {
    return clean({
      // a multibranch change request has BRANCH_NAME "PR-24" and its source branch in CHANGE_BRANCH
      provider: 'jenkins', branch: strip(env.CHANGE_BRANCH || env.BRANCH_NAME || env.GIT_BRANCH, 'origin/'), defaultBranch: env.CHANGE_TARGET,
      // with the commit: a build number comes back when a job is recreated or restored from a backup, and a new build
      // had joined the old build's run (its date and commit) as a shard
      commit: env.GIT_COMMIT, buildUrl: env.BUILD_URL,
      runKey: env.BUILD_TAG && (sha(env.GIT_COMMIT) ? `${env.BUILD_TAG}-${env.GIT_COMMIT.slice(0, 12)}` : env.BUILD_TAG),
      job: job(env.JOB_NAME),
    })
  }
  return { provider: null }
}

/** GitLab's job name without a `parallel:` job's number: `parallel: 4` names its jobs `test 1/4` … `test 4/4`, shards of `test`. */
export const gitlabJob = name => name?.replace(/ \d+\/\d+$/, '')
