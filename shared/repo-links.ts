/**
 * Links into a project's repository host from its repository URL (project settings): a commit, and a file at a line.
 * GitHub (github.com), Bitbucket (bitbucket.org) and GitLab (gitlab.com or any host whose name says gitlab, e.g. a
 * self-hosted gitlab.acme.io); another host gives no links (null), rather than links that lead nowhere.
 */

type RepoHost = 'github' | 'gitlab' | 'bitbucket'

interface Repo {
  host: RepoHost
  /** The repository's web address: no trailing slash, no .git. */
  base: string
}

function parseRepo(repositoryUrl: string | null | undefined): Repo | null {
  if (!repositoryUrl) return null
  let url: URL
  try {
    url = new URL(repositoryUrl)
  }
  catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '')
  if (path.split('/').filter(Boolean).length < 2) return null
  const name = url.hostname.toLowerCase()
  const host: RepoHost | null = name === 'github.com' || name === 'www.github.com'
    ? 'github'
    : name === 'bitbucket.org' ? 'bitbucket' : name.split('.').includes('gitlab') ? 'gitlab' : null
  return host ? { host, base: `${url.origin}${path}` } : null
}

const COMMIT = /^[0-9a-f]{7,64}$/i

/** The commit's page on the repository host; null when the host is not one we know or the SHA is not a hash. */
export function commitLink(repositoryUrl: string | null | undefined, sha: string | null | undefined): string | null {
  const repo = parseRepo(repositoryUrl)
  if (!repo || !sha || !COMMIT.test(sha)) return null
  const path = { github: 'commit', gitlab: '-/commit', bitbucket: 'commits' }[repo.host]
  return `${repo.base}/${path}/${sha}`
}

/**
 * A JVM stack frame's file (`at com.example.api.Foo.bar(Foo.java:42)`): the source's name alone, without the module
 * and source root it sits under (`api/src/test/java/com/example/api/`), which no report says.
 */
const JVM_SOURCE_NAME = /^[^/\\]+\.(?:java|kt|kts|scala|groovy)$/

/**
 * A file of the repository at `ref` (a commit, else the default branch), at `line` when given. `file` is relative to
 * the repository root, or `file:line` as stack frames print it; an absolute path (a CI machine's) gives null, and so
 * does a JVM source's bare name (a stack frame's): it is no path from the root, and a link to one would lead nowhere.
 */
export function fileLink(
  repositoryUrl: string | null | undefined, ref: string, file: string | null | undefined, line?: number | null,
): string | null {
  const repo = parseRepo(repositoryUrl)
  if (!repo || !file) return null
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(file)
  const path = (m ? m[1]! : file).replace(/^\.\//, '')
  const at = line ?? (m ? Number(m[2]) : null)
  const outside = path.startsWith('/') || /^[a-z]:[\\/]/i.test(path) || path.split('/').includes('..')
  if (!path || outside || JVM_SOURCE_NAME.test(path)) return null
  const encoded = path.split('/').map(encodeURIComponent).join('/')
  const r = encodeURIComponent(ref)
  if (repo.host === 'bitbucket') return `${repo.base}/src/${r}/${encoded}${at ? `#lines-${at}` : ''}`
  return `${repo.base}/${repo.host === 'gitlab' ? '-/blob' : 'blob'}/${r}/${encoded}${at ? `#L${at}` : ''}`
}
