CREATE TABLE "project_day_rollups" (
	"project_id" uuid NOT NULL,
	"day" date NOT NULL,
	"branch" text NOT NULL,
	"runs" integer DEFAULT 0 NOT NULL,
	"passed" integer DEFAULT 0 NOT NULL,
	"executed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "project_day_rollups_project_id_day_branch_pk" PRIMARY KEY("project_id","day","branch")
);
--> statement-breakpoint
CREATE TABLE "project_rollups" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"run_count" integer DEFAULT 0 NOT NULL,
	"latest_run_id" uuid,
	"latest_started_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "project_day_rollups" ADD CONSTRAINT "project_day_rollups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_rollups" ADD CONSTRAINT "project_rollups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_rollups" ADD CONSTRAINT "project_rollups_latest_run_id_runs_id_fk" FOREIGN KEY ("latest_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Hand-written below: the rollups filled from the runs already stored (ingest keeps them from here on).
INSERT INTO "project_rollups" ("project_id", "run_count", "latest_run_id", "latest_started_at")
SELECT DISTINCT ON ("project_id") "project_id", count(*) OVER (PARTITION BY "project_id"), "id", "started_at"
FROM "runs" ORDER BY "project_id", "started_at" DESC, "id" DESC;--> statement-breakpoint
INSERT INTO "project_day_rollups" ("project_id", "day", "branch", "runs", "passed", "executed")
SELECT "project_id", ("started_at" AT TIME ZONE 'UTC')::date, coalesce("branch", ''), count(*), sum("passed"), sum("total" - "skipped")
FROM "runs" GROUP BY 1, 2, 3;
