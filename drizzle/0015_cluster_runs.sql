CREATE TABLE "cluster_runs" (
	"project_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"run_started_at" timestamp with time zone NOT NULL,
	"run_id" uuid NOT NULL,
	"branch" text,
	"hits" integer NOT NULL,
	"infra" boolean DEFAULT false NOT NULL,
	CONSTRAINT "cluster_runs_project_id_cluster_id_run_started_at_run_id_pk" PRIMARY KEY("project_id","cluster_id","run_started_at","run_id")
);
--> statement-breakpoint
ALTER TABLE "cluster_runs" ADD CONSTRAINT "cluster_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_runs" ADD CONSTRAINT "cluster_runs_cluster_id_failure_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."failure_clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_runs" ADD CONSTRAINT "cluster_runs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cluster_runs_run_idx" ON "cluster_runs" USING btree ("run_id");--> statement-breakpoint
-- Hand-written (not generated): the rollup filled from the results already stored, one row per cluster and run.
INSERT INTO "cluster_runs" ("project_id", "cluster_id", "run_started_at", "run_id", "branch", "hits", "infra")
SELECT r."project_id", r."cluster_id", r."run_started_at", r."run_id", ru."branch", count(*)::int, ru."infra"
FROM "test_results" r JOIN "runs" ru ON ru."id" = r."run_id" JOIN "failure_clusters" fc ON fc."id" = r."cluster_id"
GROUP BY r."project_id", r."cluster_id", r."run_started_at", r."run_id", ru."branch", ru."infra";
