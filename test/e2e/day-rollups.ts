import { queryDb } from './server'

/**
 * The per-test day rollups against the stored results (Postgres: read while the server runs): rows whose runs,
 * failures or flaky passes, or whose sorted durations and their p50/p95, differ from a count of that day's results
 * (infrastructure runs and an outage's results left out), and what the rollups still owe (test_days_due rows).
 */
export async function dayRollupsCheck(env: Record<string, string>, project?: string) {
  const inProject = (alias: string) => project ? `and ${alias}.project_id = (select id from projects where slug = '${project}')` : ''
  const ofDay = `r.test_case_id = d.test_case_id and not r.infra and r.run_id not in (select id from runs where infra)
    and r.run_started_at >= d.day::timestamp at time zone 'UTC' and r.run_started_at < (d.day + 1)::timestamp at time zone 'UTC'`
  const [check] = await queryDb<{ days_differing: number, percentiles_differing: number, rows: number, due: number }>(env, `select
    (select count(*)::int from test_day_rollups d, lateral (
      select count(*) filter (where r.status <> 'skipped') as runs, count(*) filter (where r.status in ('failed', 'errored')) as failed,
        count(*) filter (where r.flaky) as flaky from test_results r where ${ofDay}) s
      where (d.runs, d.failed, d.flaky) is distinct from (s.runs, s.failed, s.flaky) ${inProject('d')}) as days_differing,
    (select count(*)::int from test_day_rollups d, lateral (
      select coalesce(array_agg(r.duration_ms order by r.duration_ms), '{}') as durations,
        percentile_disc(0.5) within group (order by r.duration_ms) as p50, percentile_disc(0.95) within group (order by r.duration_ms) as p95
      from test_results r where ${ofDay} and r.status <> 'skipped' and r.duration_ms is not null) s
      where (d.durations, d.durations[ceil(0.5 * cardinality(d.durations))::int], d.durations[ceil(0.95 * cardinality(d.durations))::int])
        is distinct from (s.durations, s.p50, s.p95) ${inProject('d')}) as percentiles_differing,
    (select count(*)::int from test_day_rollups d where true ${inProject('d')}) as rows,
    (select count(*)::int from test_days_due d where true ${inProject('d')}) as due`)
  return check!
}

/** Waits until the roll-up jobs have rolled up every run (of the project), then returns the check. */
export async function rolledUp(env: Record<string, string>, project?: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs
  for (;;) {
    const check = await dayRollupsCheck(env, project)
    if (!check.due || Date.now() > until) return check
    await new Promise(r => setTimeout(r, 100))
  }
}
