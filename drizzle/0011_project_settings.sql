ALTER TABLE "projects" ADD COLUMN "retention_days" integer;--> statement-breakpoint
ALTER TABLE "failure_clusters" ADD COLUMN "issue_url" text;--> statement-breakpoint
ALTER TABLE "project_day_rollups" ADD COLUMN "duration_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "project_day_rollups" ADD COLUMN "timed_runs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "project_rollups" ADD COLUMN "last_run_number" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written below: run numbers given to the runs already stored, in start order per project, and the counter
-- set past them; the trends' durations added to the day rollups from the runs already stored. "number" is null only
-- inside the upload's transaction that creates the run, until its number is taken at its end.
ALTER TABLE "runs" ADD COLUMN "number" integer;--> statement-breakpoint
UPDATE "runs" SET "number" = n."rn" FROM (
  SELECT "id", row_number() OVER (PARTITION BY "project_id" ORDER BY "started_at", "id") AS "rn" FROM "runs"
) n WHERE n."id" = "runs"."id";--> statement-breakpoint
INSERT INTO "project_rollups" ("project_id", "run_count", "last_run_number")
SELECT "project_id", count(*), max("number") FROM "runs" GROUP BY 1
ON CONFLICT ("project_id") DO UPDATE SET "last_run_number" = excluded."last_run_number";--> statement-breakpoint
UPDATE "project_day_rollups" d SET "duration_ms" = t."ms", "timed_runs" = t."n" FROM (
  SELECT "project_id", ("started_at" AT TIME ZONE 'UTC')::date AS "day", coalesce("branch", '') AS "branch",
    coalesce(sum("duration_ms"), 0) AS "ms", count("duration_ms") AS "n"
  FROM "runs" GROUP BY 1, 2, 3
) t WHERE d."project_id" = t."project_id" AND d."day" = t."day" AND d."branch" = t."branch";--> statement-breakpoint
-- Generated again from here.
CREATE UNIQUE INDEX "runs_project_number_idx" ON "runs" USING btree ("project_id","number");
