ALTER TABLE "test_results" ADD COLUMN "known_failure" boolean;--> statement-breakpoint
-- the failures stored before uploads judged them, judged once here by the rule ingest applies (server/services/run-results.ts
-- alreadyFailing): the test's last result on the project's default branch in a run started before this one failed, or
-- the test was labelled flaky there before this run was created
UPDATE "test_results" t SET "known_failure" = (
  coalesce((select p.status in ('failed', 'errored') from "test_results" p
    where p.test_case_id = t.test_case_id and p.run_started_at < r0.started_at
      and (select pr.branch from "runs" pr where pr.id = p.run_id) = pj.default_branch
    order by p.run_started_at desc, p.id desc limit 1), false)
  or exists (select 1 from "test_cases" lt where lt.id = t.test_case_id and lt.flaky_label = 'flaky'
    and lt.flaky_branch = pj.default_branch and lt.flaky_since < r0.created_at))
FROM "runs" r0 JOIN "projects" pj ON pj.id = r0.project_id
WHERE r0.id = t.run_id AND t.status IN ('failed', 'errored');
