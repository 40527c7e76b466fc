-- A long history for the 10M-results benchmarks (docs/scaling.md): every run of a database loaded through ingest
-- (the demo generator via `bench:mcp -- --keep`) copied :copies times, each copy moved back by the span of the
-- loaded runs in whole days, with new ids; the results, attempts and uploads of each run with it; the per-day
-- rollups copied with their days moved back the same way (a whole-day shift keeps every row of them exact); run
-- numbers given again by start time; the run counts set. Test cases and failure clusters are shared with the loaded
-- runs (their counters and flakiness describe the loaded part; a copied failure keeps its new or known). Run on a
-- database at migration 0027 or later:
--
--   psql "$DATABASE_URL" -v copies=9 -f scripts/bench-history.sql
\set ON_ERROR_STOP on
\timing on
begin;
create temp table span as
  select ceil(extract(epoch from max(started_at) - min(started_at)) / 86400)::int + 1 as days from runs;
create temp table run_map as
  select r.id as old_id, gen_random_uuid() as new_id, k, make_interval(days => k * (select days from span)) as shift
  from runs r cross join generate_series(1, :copies) k;
-- the month partitions the copies fall in (services/partitions.ts names them the same way)
do $$
declare m timestamp;
begin
  for m in select distinct date_trunc('month', (r.started_at - x.shift) at time zone 'UTC')
    from runs r join run_map x on x.old_id = r.id
  loop
    execute format('create table if not exists %I partition of test_results for values from (%L) to (%L)',
      'test_results_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'), m || '+00', (m + interval '1 month') || '+00');
  end loop;
end $$;
-- a copied result's id is derived from the original's and the copy, so its attempts find it
insert into test_attempts (result_id, attempt, status, duration_ms, error_message, error_stack, started_at)
select md5(a.result_id::text || ':' || x.k)::uuid, a.attempt, a.status, a.duration_ms, a.error_message, a.error_stack,
  a.started_at - x.shift
from test_attempts a join test_results t on t.id = a.result_id join run_map x on x.old_id = t.run_id;
-- the indexes are built again after the copy (much faster than keeping them during it)
alter table test_results drop constraint test_results_id_run_started_at_pk;
drop index test_results_run_status_idx, test_results_case_started_idx, test_results_case_failed_idx,
  test_results_project_failed_idx, test_results_cluster_idx;
insert into runs (id, project_id, run_key, branch, commit_sha, commit_message, build_url, environment, status, format,
  started_at, duration_ms, total, passed, failed, errored, skipped, flaky, infra, errors, created_at, updated_at, number)
select x.new_id, r.project_id, r.run_key || '~' || x.k, r.branch, r.commit_sha, r.commit_message, r.build_url, r.environment,
  r.status, r.format, r.started_at - x.shift, r.duration_ms, r.total, r.passed, r.failed, r.errored, r.skipped, r.flaky,
  r.infra, r.errors, r.created_at - x.shift, r.updated_at - x.shift, null
from runs r join run_map x on x.old_id = r.id;
insert into run_uploads (id, run_id, content_hash, file_name, format, results, bytes, notes, created_at)
select gen_random_uuid(), x.new_id, u.content_hash, u.file_name, u.format, u.results, u.bytes, u.notes, u.created_at - x.shift
from run_uploads u join run_map x on x.old_id = u.run_id;
insert into test_results (id, run_id, test_case_id, project_id, run_started_at, status, flaky, duration_ms, attempt_count,
  error_message, error_stack, stdout, stderr, line, steps, annotations, attachments, tags, properties_id, fingerprint, cluster_id,
  known_failure)
select md5(t.id::text || ':' || x.k)::uuid, x.new_id, t.test_case_id, t.project_id, t.run_started_at - x.shift, t.status,
  t.flaky, t.duration_ms, t.attempt_count, t.error_message, t.error_stack, t.stdout, t.stderr, t.line, t.steps,
  t.annotations, t.attachments, t.tags, t.properties_id, t.fingerprint, t.cluster_id, t.known_failure
from test_results t join run_map x on x.old_id = t.run_id;
alter table test_results add constraint test_results_id_run_started_at_pk primary key (id, run_started_at);
create index test_results_run_status_idx on test_results using btree (run_id, status);
create index test_results_case_started_idx on test_results using btree (test_case_id, run_started_at desc nulls first, id desc nulls first);
create index test_results_case_failed_idx on test_results using btree (test_case_id, run_started_at desc nulls first, id desc nulls first)
  where status in ('failed', 'errored');
create index test_results_project_failed_idx on test_results using btree (project_id, run_started_at desc nulls first, id desc nulls first)
  where status in ('failed', 'errored');
create index test_results_cluster_idx on test_results using btree (cluster_id, run_started_at desc nulls first, id desc nulls first)
  where cluster_id is not null;
-- the clusters' per-run rollup (migration 0015) moves back with its runs
insert into cluster_runs (project_id, cluster_id, run_started_at, run_id, branch, hits, infra)
select c.project_id, c.cluster_id, c.run_started_at - x.shift, x.new_id, c.branch, c.hits, c.infra
from cluster_runs c join run_map x on x.old_id = c.run_id;
insert into test_day_rollups (project_id, test_case_id, day, runs, failed, flaky, durations)
select d.project_id, d.test_case_id, d.day - k * (select days from span), d.runs, d.failed, d.flaky, d.durations
from test_day_rollups d cross join generate_series(1, :copies) k;
insert into project_day_rollups (project_id, day, branch, runs, passed, executed, duration_ms, timed_runs)
select d.project_id, d.day - k * (select days from span), d.branch, d.runs, d.passed, d.executed, d.duration_ms, d.timed_runs
from project_day_rollups d cross join generate_series(1, :copies) k;
-- run numbers by start time again (the copies are older than the loaded runs), then the counters
update runs set number = null;
update runs r set number = n.number
from (select id, row_number() over (partition by project_id order by started_at, id)::int as number from runs) n where n.id = r.id;
update project_rollups p set run_count = c.runs, last_run_number = c.runs
from (select project_id, count(*)::int as runs from runs group by project_id) c where c.project_id = p.project_id;
commit;
vacuum analyze;
