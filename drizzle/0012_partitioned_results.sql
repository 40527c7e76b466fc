ALTER TABLE "test_attempts" DROP CONSTRAINT "test_attempts_result_id_test_results_id_fk";
--> statement-breakpoint
-- Hand-written below (drizzle-kit has no partitioning): test_results becomes a table partitioned by range of
-- run_started_at, one partition per UTC month (test_results_yYYYYmMM) plus test_results_default, with its rows copied
-- over inside this migration's transaction. The primary key becomes (id, run_started_at), as the schema says.
-- test_attempts keeps no foreign key (see server/db/schema/tests.ts). New months are created ahead of time and at
-- ingest by server/services/partitions.ts, with the same names and bounds.
ALTER TABLE "test_results" RENAME TO "test_results_unpartitioned";
--> statement-breakpoint
ALTER TABLE "test_results_unpartitioned" DROP CONSTRAINT "test_results_pkey";
--> statement-breakpoint
DROP INDEX "test_results_run_status_idx", "test_results_case_started_idx", "test_results_case_failed_idx",
  "test_results_project_failed_idx", "test_results_cluster_idx";
--> statement-breakpoint
CREATE TABLE "test_results" (LIKE "test_results_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("run_started_at");
--> statement-breakpoint
CREATE TABLE "test_results_default" PARTITION OF "test_results" DEFAULT;
--> statement-breakpoint
DO $$
DECLARE m timestamp;
BEGIN
  FOR m IN
    SELECT DISTINCT date_trunc('month', "run_started_at" AT TIME ZONE 'UTC') FROM "test_results_unpartitioned"
    UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC')
    UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "test_results" FOR VALUES FROM (%L) TO (%L)',
      'test_results_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'), m || '+00', (m + interval '1 month') || '+00');
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO "test_results" SELECT * FROM "test_results_unpartitioned";
--> statement-breakpoint
DROP TABLE "test_results_unpartitioned";
--> statement-breakpoint
-- the key and the indexes are built after the copy (faster than keeping them during it); each partition gets its own
ALTER TABLE "test_results" ADD CONSTRAINT "test_results_id_run_started_at_pk" PRIMARY KEY("id","run_started_at");
--> statement-breakpoint
CREATE INDEX "test_results_run_status_idx" ON "test_results" USING btree ("run_id","status");
--> statement-breakpoint
CREATE INDEX "test_results_case_started_idx" ON "test_results" USING btree ("test_case_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);
--> statement-breakpoint
CREATE INDEX "test_results_case_failed_idx" ON "test_results" USING btree ("test_case_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE status in ('failed', 'errored');
--> statement-breakpoint
CREATE INDEX "test_results_project_failed_idx" ON "test_results" USING btree ("project_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE status in ('failed', 'errored');
--> statement-breakpoint
CREATE INDEX "test_results_cluster_idx" ON "test_results" USING btree ("cluster_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE cluster_id is not null;
--> statement-breakpoint
ANALYZE "test_results";
