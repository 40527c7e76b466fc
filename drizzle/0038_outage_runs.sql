ALTER TABLE "test_cases" ADD COLUMN "outage_failed_runs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "outage_flaky_runs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The part of failed_runs and flaky_runs that were outages, counted once for the results stored before ingest kept it
-- (services/outages.ts): failures and passes on retry in an infrastructure run, or marked as an outage of the upload
-- that ran them. Results that retention deleted are not counted here, though failed_runs still counts them.
UPDATE "test_cases" AS tc SET "outage_failed_runs" = x.failed, "outage_flaky_runs" = x.flaky
FROM (
  SELECT r."test_case_id" AS id, count(*) FILTER (WHERE r."status" IN ('failed', 'errored'))::int AS failed,
    count(*) FILTER (WHERE r."flaky")::int AS flaky
  FROM "test_results" AS r JOIN "runs" AS ru ON ru."id" = r."run_id"
  WHERE (ru."infra" OR r."infra") AND (r."status" IN ('failed', 'errored') OR r."flaky")
  GROUP BY r."test_case_id"
) AS x
WHERE tc."id" = x.id;
