-- A stable test whose flakiness window holds a failure is rescored on a pass too (services/run-results.ts): its next
-- pass may end a flip or mix a commit. Before, only a failure rescored a stable test, so a single failure followed by
-- passes stayed "failed the last 1 run …" and was never counted as a flip. Rows labelled before this column are
-- marked when one of their newest 500 executed results (the largest window PROOFDECK_FLAKY_WINDOW allows) failed;
-- the next upload that runs such a test counts its failures exactly.
ALTER TABLE "test_cases" ADD COLUMN "flaky_window_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "test_cases" AS tc SET "flaky_window_failures" = 1
WHERE tc."flaky_label" = 'stable' AND tc."failed_runs" > 0 AND EXISTS (
  SELECT 1 FROM (
    SELECT r."status" FROM "test_results" AS r
    WHERE r."test_case_id" = tc."id" AND r."status" <> 'skipped'
    ORDER BY r."run_started_at" DESC, r."id" DESC LIMIT 500
  ) AS w WHERE w."status" IN ('failed', 'errored')
);
