// Pull/merge request comments: one per pull request (GitHub Actions) or merge request (GitLab CI) and project,
// created on the first upload and updated in place after that, found again by a hidden marker.
import { readFileSync } from 'node:fs'
import { gitlabJob } from './ci.mjs'

/** Pages of comments read while looking for ours (100 each). */
const MAX_PAGES = 30

/** The hidden line that marks the comment of a project, so the next upload updates it instead of adding one. */
export const commentMarker = (project, job) =>
  `<!-- proofdeck:${encodeURIComponent(project)}${job ? `:${encodeURIComponent(job)}` : ''} -->`

/**
 * The CI job a comment belongs to: each job of a pull request keeps its own comment, so a second job's green run does
 * not overwrite a first job's red one. GitLab's `parallel:` jobs (`test 1/3`) are runs of their own, each with its
 * comment, unless they upload as shards of one run (`sharded`: --shard), which has one comment as GitHub's sharded
 * matrix legs do (they share their job's id); `environment` (--environment) tells apart the legs that are runs of
 * their own.
 */
export function commentJob(env, environment, sharded = false) {
  const gitlab = sharded ? gitlabJob(env.CI_JOB_NAME) : env.CI_JOB_NAME
  return [env.GITHUB_JOB || gitlab, environment].filter(Boolean).join('/') || undefined
}

/** The pull request number of a GitHub Actions event (pull_request, pull_request_target, or a comment on one). */
function pullRequestNumber(path) {
  try {
    const event = JSON.parse(readFileSync(path, 'utf8'))
    const n = event.pull_request?.number ?? (event.issue?.pull_request ? event.issue.number : undefined)
    return Number.isInteger(n) ? n : null
  }
  catch {
    return null
  }
}

/**
 * Where to comment, from the CI's environment: the pull request of a GitHub Actions event (GITHUB_TOKEN,
 * GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL) or the merge request of a GitLab pipeline (CI_API_V4_URL,
 * CI_PROJECT_ID, CI_MERGE_REQUEST_IID, PROOFDECK_GITLAB_TOKEN or GITLAB_TOKEN); null when neither applies.
 * @param {Record<string, string | undefined>} env
 */
export function commentTarget(env) {
  if (env.GITHUB_TOKEN && env.GITHUB_REPOSITORY && env.GITHUB_EVENT_PATH) {
    const n = pullRequestNumber(env.GITHUB_EVENT_PATH)
    if (n === null) return null
    const repo = `${(env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')}/repos/${env.GITHUB_REPOSITORY}`
    return {
      where: `pull request #${n}`, service: 'GitHub',
      list: `${repo}/issues/${n}/comments?per_page=100`,
      create: { method: 'POST', url: `${repo}/issues/${n}/comments` },
      update: id => ({ method: 'PATCH', url: `${repo}/issues/comments/${id}` }),
      remove: id => ({ method: 'DELETE', url: `${repo}/issues/comments/${id}` }),
      headers: {
        'authorization': `Bearer ${env.GITHUB_TOKEN}`, 'accept': 'application/vnd.github+json', 'x-github-api-version': '2022-11-28',
        'user-agent': 'proofdeck-cli',
      },
      hint: 'the job needs "permissions: pull-requests: write" and GITHUB_TOKEN in this step\'s env (a pull request from a fork gets a read-only token)',
    }
  }
  const token = env.PROOFDECK_GITLAB_TOKEN || env.GITLAB_TOKEN
  if (env.CI_API_V4_URL && env.CI_PROJECT_ID && env.CI_MERGE_REQUEST_IID && token) {
    const mr = `${env.CI_API_V4_URL.replace(/\/+$/, '')}/projects/${encodeURIComponent(env.CI_PROJECT_ID)}/merge_requests/${encodeURIComponent(env.CI_MERGE_REQUEST_IID)}`
    return {
      where: `merge request !${env.CI_MERGE_REQUEST_IID}`, service: 'GitLab',
      list: `${mr}/notes?per_page=100`,
      create: { method: 'POST', url: `${mr}/notes` },
      update: id => ({ method: 'PUT', url: `${mr}/notes/${id}` }),
      remove: id => ({ method: 'DELETE', url: `${mr}/notes/${id}` }),
      headers: { 'private-token': token, 'accept': 'application/json', 'user-agent': 'proofdeck-cli' },
      hint: 'PROOFDECK_GITLAB_TOKEN must be a project or personal access token with the api scope and at least the Reporter role',
    }
  }
  return null
}

/** The rel="next" URL of a Link header (RFC 8288), as GitHub and GitLab paginate. */
export function nextLink(header) {
  for (const part of (header ?? '').split(',')) {
    const m = part.match(/<([^>]+)>\s*;.*\brel="?next"?/)
    if (m) return m[1]
  }
  return null
}

class HttpError extends Error {
  constructor(status, method) {
    super(`${method} answered ${status}`)
    this.status = status
  }
}

/**
 * The hidden line that says which state of which run a comment shows: the run, its number, how many uploads it had
 * then, and its project. Shards finish in any order, and their comments can reach GitHub in another: an update never
 * replaces a later state of the same run (shard 3's "3 of 4" after shard 4's "4 of 4" would stay for good), nor a later
 * run's (an older push's last shard turned the newer push's red comment green). Numbers are compared within one
 * project: a project deleted and made again under its slug numbers its runs from 1, and its #1 had been refused for
 * good by the comment of the old project's #57. Servers before the project's id leave it out.
 */
const stateMarker = receipt =>
  `<!-- proofdeck-state:${receipt.runId}:${receipt.runNumber}:${receipt.merged.shards}${receipt.projectId ? `:${receipt.projectId}` : ''} -->`

/** Whether a comment's body shows a later run of the receipt's project, or a later state of its run, than it does. */
function showsLaterState(body, receipt) {
  const m = /<!-- proofdeck-state:([^:\s]+):(\d+):(\d+)(?::([^:\s]+))? -->/.exec(body)
  if (!m) return false
  if (m[1] === receipt.runId) return Number(m[3]) > receipt.merged.shards
  return (!m[4] || !receipt.projectId || m[4] === receipt.projectId) && Number(m[2]) > receipt.runNumber
}

/** The comments carrying each marker ({id, body}), oldest (lowest id) first, from one read of every page of the list. */
async function marked(target, markers, call) {
  const found = markers.map(() => [])
  let url = target.list
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await call('GET', url)
    const items = await res.json()
    if (Array.isArray(items)) {
      for (const c of items) {
        if (typeof c?.body !== 'string') continue
        markers.forEach((m, i) => c.body.includes(m) && found[i].push({ id: c.id, body: c.body }))
      }
    }
    url = nextLink(res.headers.get('link'))
  }
  return found.map(list => list.sort((a, b) => a.id - b.id))
}

/**
 * Creates the comment, or updates the one with the same marker. Concurrent jobs of one pull request (a matrix) may
 * each create one: after creating, a job that finds an older one deletes its own and updates the older, so one stays.
 * Never throws: a comment that cannot be made is one warning line (the status and what to check), never the token,
 * and the upload's exit code stays as it was.
 * @returns {Promise<{ ok: boolean, line: string }>}
 */
export async function upsertComment(target, marker, markdown, timeoutMs, legacyMarker, receipt) {
  const call = async (method, url, payload) => {
    const headers = payload ? { ...target.headers, 'content-type': 'application/json' } : target.headers
    const res = await fetch(url, { method, headers, body: payload && JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) throw new HttpError(res.status, method)
    return res
  }
  const send = (req, body) => call(req.method, req.url, body)
  const body = { body: `${marker}\n${markdown}${receipt ? `\n${stateMarker(receipt)}` : ''}` }
  const later = `left the comment on ${target.where} as it is: a later upload (of this run, or a later run) already updated it`
  try {
    // a project's one comment of a CLI before comments were per job is this job's to update (and re-mark), not left stale
    const [mine, legacy = []] = await marked(target, legacyMarker ? [marker, legacyMarker] : [marker], call)
    const [existing] = mine.length ? mine : legacy
    if (existing !== undefined) {
      if (receipt && showsLaterState(existing.body, receipt)) return { ok: true, line: later }
      await send(target.update(existing.id), body)
      return { ok: true, line: `updated the comment on ${target.where}` }
    }
    const created = await (await send(target.create, body)).json()
    const [[oldest]] = await marked(target, [marker], call)
    if (oldest !== undefined && oldest.id !== created.id) {
      await send(target.remove(created.id))
      if (receipt && showsLaterState(oldest.body, receipt)) return { ok: true, line: later }
      await send(target.update(oldest.id), body)
      return { ok: true, line: `updated the comment on ${target.where}` }
    }
    return { ok: true, line: `commented on ${target.where}` }
  }
  catch (err) {
    const why = err instanceof HttpError
      ? `${target.service} answered ${err.status} (${err.message.split(' ')[0]})`
      : `cannot reach ${target.service}: ${err.cause?.code ?? err.name ?? 'network error'}`
    return { ok: false, line: `warning: no comment on ${target.where}: ${why}; ${target.hint}. The upload itself succeeded.` }
  }
}
