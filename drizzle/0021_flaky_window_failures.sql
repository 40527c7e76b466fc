-- A stable test whose flakiness window holds a failure is rescored on a pass too (services/run-results.ts): its next
-- pass may end a flip or mix a commit. Before, only a failure rescored a stable test, so a single failure followed by
-- passes stayed "failed the last 1 run …" and was never counted as a flip. Rows labelled before this column are
-- marked from their reason (every stable reason but "no failure in …" means a failure in the window); the next upload
-- that runs such a test counts its failures exactly.
ALTER TABLE "test_cases" ADD COLUMN "flaky_window_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "test_cases" SET "flaky_window_failures" = 1
WHERE "flaky_label" = 'stable' AND "failed_runs" > 0 AND "flaky_reason" IS NOT NULL AND "flaky_reason" NOT LIKE 'no failure in %';
