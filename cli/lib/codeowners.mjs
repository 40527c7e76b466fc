// CODEOWNERS in the CLI: after an upload, the repository's CODEOWNERS goes to the server, which gives tests their owners.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where GitHub looks for it, in its order: the first that exists is the one in force. */
const PLACES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']
const MAX_BYTES = 1024 * 1024

/** The path of the repository's CODEOWNERS under `root` (the working directory), or null. */
export function findCodeowners(root) {
  return PLACES.map(p => join(root, p)).find(p => existsSync(p)) ?? null
}

/**
 * Sends the CODEOWNERS at `path` for `project`; a line saying what happened (a warning when it failed: the upload
 * itself has succeeded by then, so this never changes the exit code), then a warning per line the server skipped.
 * @returns {Promise<string>}
 */
export async function sendCodeowners({ base, token, project, path, timeoutMs }) {
  const content = readFileSync(path)
  if (content.length > MAX_BYTES) return `warning: ${path} is over 1 MB; test owners not sent`
  try {
    const res = await fetch(`${base}/api/v1/projects/${encodeURIComponent(project)}/codeowners`, {
      method: 'PUT', headers: { 'authorization': `Bearer ${token}`, 'content-type': 'text/plain' }, body: content,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = await res.json().catch(() => ({}))
    if (!res.ok) return `warning: test owners from ${path} not sent (${res.status}: ${body.message ?? 'no message'})`
    const lines = [`owners: ${body.rules} rules from ${path}, ${body.ownedTests} tests owned${body.changed ? '' : ' (unchanged)'}`]
    // the lines GitHub would read otherwise than the server did, or not at all: each with its number and why
    for (const s of body.skipped ?? []) lines.push(`warning: ${path}:${s.line} skipped: ${s.reason} (${s.text})`)
    const unlisted = (body.skippedCount ?? 0) - (body.skipped?.length ?? 0)
    if (unlisted > 0) lines.push(`warning: ${path}: ${unlisted} more lines skipped`)
    return lines.join('\n')
  }
  catch (err) {
    return `warning: test owners from ${path} not sent (${err.cause?.code ?? err.name})`
  }
}
