import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectAttachments } from '../../../cli/lib/attachments.mjs'

const MB = 1024 * 1024

describe('the CLI picks the files a report names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-attachments-'))
  mkdirSync(join(dir, 'reports/test-results/a'), { recursive: true })
  writeFileSync(join(dir, 'reports/test-results/a/shot.png'), Buffer.alloc(1000))
  writeFileSync(join(dir, 'reports/test-results/a/video.webm'), Buffer.alloc(3000))
  writeFileSync(join(dir, 'reports/test-results/a/trace.zip'), Buffer.alloc(2000))
  const absolute = join(dir, 'reports/test-results/a/trace.zip')
  const report = (attachments: { path: string }[]) => ({
    path: join(dir, 'reports/report.json'),
    content: Buffer.from(JSON.stringify({ suites: [{ specs: [{ tests: [{ results: [{ attachments }] }] }] }] })),
  })
  const junit = {
    path: join(dir, 'reports/junit.xml'),
    content: Buffer.from('<testsuite><testcase name="a"><system-out>[[ATTACHMENT|test-results\\a\\shot.png]]\n[[ATTACHMENT|gone.png]]</system-out></testcase></testsuite>'),
  }
  const roomy = { maxFileBytes: MB, maxTotalBytes: MB, maxFiles: 500 }
  // a file elsewhere on the runner, named by path or through a link in the report's folder; and one in the working
  // directory beside the report's folder
  const secret = join(mkdtempSync(join(tmpdir(), 'pd-cli-outside-')), 'credentials')
  writeFileSync(secret, 'AWS_SECRET_ACCESS_KEY=not-for-the-dashboard')
  symlinkSync(secret, join(dir, 'reports/linked.txt'))
  mkdirSync(join(dir, 'shots'))
  writeFileSync(join(dir, 'shots/beside.png'), Buffer.alloc(10))
  const outside = 'outside the working directory and the report\'s folder'
  mkdirSync(join(dir, 'reports/.git'))
  writeFileSync(join(dir, 'reports/.git/config'), '[http] extraheader = AUTHORIZATION: basic secret')
  writeFileSync(join(dir, 'reports/.env'), 'TOKEN=secret')

  it.each([
    ['paths relative to the report, absolute ones as they are', [report([{ path: 'test-results/a/shot.png' }, { path: absolute }])], roomy,
      { files: ['test-results/a/shot.png', absolute], missing: [], skipped: [] }],
    ['a JUnit reference with Windows separators, and one that is missing', [junit], roomy,
      { files: ['test-results\\a\\shot.png'], missing: ['gone.png'], skipped: [] }],
    ['each path once across reports', [report([{ path: 'test-results/a/shot.png' }]), report([{ path: 'test-results/a/shot.png' }])], roomy,
      { files: ['test-results/a/shot.png'], missing: [], skipped: [] }],
    ['a file over the per-file cap is left out', [report([{ path: 'test-results/a/video.webm' }, { path: 'test-results/a/shot.png' }])],
      { ...roomy, maxFileBytes: 2000 },
      { files: ['test-results/a/shot.png'], missing: [], skipped: ['test-results/a/video.webm: larger than 0 MB (--max-attachment-mb)'] }],
    ['files past the per-upload cap are left out, in report order', [report([{ path: 'test-results/a/trace.zip' }, { path: 'test-results/a/video.webm' }, { path: 'test-results/a/shot.png' }])],
      { ...roomy, maxTotalBytes: 3500 },
      { files: ['test-results/a/trace.zip', 'test-results/a/shot.png'], missing: [], skipped: ['test-results/a/video.webm: the upload\'s attachments would pass 0 MB (--max-attachments-mb)'] }],
    ['a report that names nothing', [{ path: join(dir, 'reports/r.xml'), content: Buffer.from('<testsuite/>') }], roomy, { files: [], missing: [], skipped: [] }],
    ['a file outside the working directory and the report\'s folder is not sent, by path or by link', [report([{ path: secret }, { path: 'linked.txt' }])],
      { ...roomy, cwd: dir }, { files: [], missing: [], skipped: [`${secret}: ${outside}`, `linked.txt: ${outside}`] }],
    ['a file in the working directory beside the report\'s folder is sent', [report([{ path: '../shots/beside.png' }])], { ...roomy, cwd: dir },
      { files: ['../shots/beside.png'], missing: [], skipped: [] }],
    ['a hidden file or folder inside is not sent', [report([{ path: '.git/config' }, { path: '.env' }])], { ...roomy, cwd: dir },
      { files: [], missing: [], skipped: ['.git/config: a hidden file or folder (.git, .env) is never sent', '.env: a hidden file or folder (.git, .env) is never sent'] }],
    ['a working directory at the filesystem\'s root lets nothing else in', [report([{ path: secret }])], { ...roomy, cwd: '/' },
      { files: [], missing: [], skipped: [`${secret}: ${outside}`] }],
    ['…and not from another working directory', [report([{ path: '../shots/beside.png' }])], { ...roomy, cwd: mkdtempSync(join(tmpdir(), 'pd-cli-elsewhere-')) },
      { files: [], missing: [], skipped: [`../shots/beside.png: ${outside}`] }],
  ])('%s', (_, reports, caps, want) => {
    const got = collectAttachments(reports, caps)
    expect({ files: got.files.map(f => f.ref), missing: got.missing, skipped: got.skipped.map(s => `${s.ref}: ${s.why}`) }).toEqual(want)
  })
})
