CREATE TABLE "project_codeowners" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"content" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_day_rollups" (
	"project_id" uuid NOT NULL,
	"test_case_id" uuid NOT NULL,
	"day" date NOT NULL,
	"runs" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"flaky" integer DEFAULT 0 NOT NULL,
	"durations" integer[] DEFAULT '{}' NOT NULL,
	"p50_ms" integer,
	"p95_ms" integer,
	CONSTRAINT "test_day_rollups_project_id_day_test_case_id_pk" PRIMARY KEY("project_id","day","test_case_id")
);
--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "owners" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "project_codeowners" ADD CONSTRAINT "project_codeowners_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "test_day_rollups" ADD CONSTRAINT "test_day_rollups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "test_day_rollups" ADD CONSTRAINT "test_day_rollups_test_case_id_test_cases_id_fk" FOREIGN KEY ("test_case_id") REFERENCES "public"."test_cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "test_day_rollups_case_idx" ON "test_day_rollups" USING btree ("test_case_id","day");--> statement-breakpoint
-- Hand-written below: the per-test day rollups filled from the results already stored (ingest keeps them from here on).
INSERT INTO "test_day_rollups" ("project_id", "day", "test_case_id", "runs", "failed", "flaky", "durations", "p50_ms", "p95_ms")
SELECT "project_id", ("run_started_at" AT TIME ZONE 'UTC')::date, "test_case_id",
  count(*) FILTER (WHERE "status" <> 'skipped'), count(*) FILTER (WHERE "status" IN ('failed', 'errored')), count(*) FILTER (WHERE "flaky"),
  coalesce(array_agg("duration_ms") FILTER (WHERE "status" <> 'skipped' AND "duration_ms" IS NOT NULL), '{}'),
  percentile_disc(0.5) WITHIN GROUP (ORDER BY "duration_ms") FILTER (WHERE "status" <> 'skipped'),
  percentile_disc(0.95) WITHIN GROUP (ORDER BY "duration_ms") FILTER (WHERE "status" <> 'skipped')
FROM "test_results" GROUP BY 1, 2, 3;
