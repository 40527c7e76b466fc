import { junitReport } from './lib/synthetic'
const url = process.argv[2]!
const key = process.argv[3]!
const body = junitReport(10000)
for (const k of ['a', 'b']) {
  const t = performance.now()
  const r = await fetch(`${url}/api/v1/runs?project=p&runKey=${k}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/xml' }, body })
  console.log(r.status, (performance.now() - t).toFixed(0))
}
