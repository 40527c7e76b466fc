import { existsSync, realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, parse, relative, resolve, sep } from 'node:path'

const XML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' }

/**
 * The files a report names: Playwright, CTRF and Proofdeck JSON `attachments[].path` (at any depth), JUnit
 * `[[ATTACHMENT|path]]` lines in system-out/system-err. Each path once, as written in the report.
 * @param {string} text the report
 * @returns {string[]}
 */
export function referencedPaths(text) {
  const found = new Set()
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc
    try {
      doc = JSON.parse(trimmed)
    }
    catch {
      return []
    }
    const stack = [doc]
    while (stack.length) {
      const node = stack.pop()
      if (!node || typeof node !== 'object') continue
      if (Array.isArray(node.attachments)) {
        for (const a of node.attachments) if (a && typeof a.path === 'string' && a.path.trim()) found.add(a.path)
      }
      for (const v of Object.values(node)) if (v && typeof v === 'object') stack.push(v)
    }
    return [...found]
  }
  for (const m of text.matchAll(/\[\[ATTACHMENT\|([^\]\n]+)\]\]/g)) {
    found.add(m[1].trim().replace(/&(amp|lt|gt|quot|apos);/g, (_, e) => XML_ENTITIES[e]))
  }
  return [...found]
}

/**
 * Where a referenced file is: absolute paths as they are, others relative to the report's directory; a Windows
 * path (backslashes) written by a runner on Windows is tried with slashes too. null when it is not a file here.
 */
function locate(ref, reportFile) {
  const candidates = [ref, ref.replaceAll('\\', '/')]
  for (const c of candidates) {
    const path = isAbsolute(c) ? c : resolve(dirname(reportFile), c)
    if (existsSync(path) && statSync(path).isFile()) return path
  }
  return null
}

/**
 * Why a file may not be sent, or null: it must be inside one of `roots` (the working directory, the report's folder;
 * neither may be a filesystem root or the home folder, a container's default working directory), symlinks followed,
 * and never under a hidden name (`.git/config` holds the checkout's token, `.env` the app's secrets).
 */
function refusal(path, roots) {
  const real = realpathSync(path)
  const home = realpathSync(homedir())
  for (const root of roots) {
    if (root === parse(root).root || root === home) continue
    const r = relative(root, real)
    if (isAbsolute(r) || r === '..' || r.startsWith(`..${sep}`)) continue
    return r.split(sep).some(part => part.startsWith('.')) ? 'a hidden file or folder (.git, .env) is never sent' : null
  }
  return 'outside the working directory and the report\'s folder'
}

/**
 * The attachment files of one upload's reports, within the caps: each file at most `maxFileBytes`, all of them
 * together at most `maxTotalBytes` and `maxFiles` (the rest are left out, in report order). Only files inside the
 * working directory or a report's folder, under no hidden name, are sent (refusal): a path a test printed
 * (`[[ATTACHMENT|/home/runner/.aws/credentials]]`) must not carry a runner's secrets into the dashboard. Missing files
 * and files left out are reported, never fatal.
 * @param {{ path: string, content: Buffer }[]} reports
 * @param {{ maxFileBytes: number, maxTotalBytes: number, maxFiles: number, cwd?: string }} caps
 * @returns {{ files: { ref: string, path: string, bytes: number }[], missing: string[], skipped: { ref: string, why: string }[] }}
 */
export function collectAttachments(reports, { maxFileBytes, maxTotalBytes, maxFiles, cwd = process.cwd() }) {
  const files = []
  const missing = []
  const skipped = []
  const seen = new Set()
  let total = 0
  for (const report of reports) {
    for (const ref of referencedPaths(report.content.toString('utf8'))) {
      if (seen.has(ref)) continue
      seen.add(ref)
      const path = locate(ref, report.path)
      if (!path) {
        missing.push(ref)
        continue
      }
      const refused = refusal(path, [realpathSync(cwd), realpathSync(dirname(resolve(report.path)))])
      if (refused) {
        skipped.push({ ref, why: refused })
        continue
      }
      const bytes = statSync(path).size
      const mb = n => `${Math.round(n / 1048576)} MB`
      if (bytes > maxFileBytes) skipped.push({ ref, why: `larger than ${mb(maxFileBytes)} (--max-attachment-mb)` })
      else if (total + bytes > maxTotalBytes) skipped.push({ ref, why: `the upload's attachments would pass ${mb(maxTotalBytes)} (--max-attachments-mb)` })
      else if (files.length >= maxFiles) skipped.push({ ref, why: `more than ${maxFiles} files in one upload` })
      else {
        files.push({ ref, path, bytes })
        total += bytes
      }
    }
  }
  return { files, missing, skipped }
}
