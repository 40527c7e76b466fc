DROP INDEX "runs_project_started_idx";--> statement-breakpoint
DROP INDEX "runs_project_branch_started_idx";--> statement-breakpoint
DROP INDEX "test_cases_project_flaky_idx";--> statement-breakpoint
DROP INDEX "test_cases_flaky_since_idx";--> statement-breakpoint
DROP INDEX "test_results_case_started_idx";--> statement-breakpoint
DROP INDEX "test_results_project_failed_idx";--> statement-breakpoint
DROP INDEX "test_results_cluster_idx";--> statement-breakpoint
DROP INDEX "failure_clusters_project_last_seen_idx";--> statement-breakpoint
DROP INDEX "failure_clusters_project_created_idx";--> statement-breakpoint
CREATE INDEX "test_results_case_failed_idx" ON "test_results" USING btree ("test_case_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE status in ('failed', 'errored');--> statement-breakpoint
CREATE INDEX "runs_project_started_idx" ON "runs" USING btree ("project_id","started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "runs_project_branch_started_idx" ON "runs" USING btree ("project_id","branch","started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "test_cases_project_flaky_idx" ON "test_cases" USING btree ("project_id","flaky_score" DESC NULLS FIRST,"id");--> statement-breakpoint
CREATE INDEX "test_cases_flaky_since_idx" ON "test_cases" USING btree ("project_id","flaky_since" DESC NULLS FIRST) WHERE flaky_since is not null;--> statement-breakpoint
CREATE INDEX "test_results_case_started_idx" ON "test_results" USING btree ("test_case_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "test_results_project_failed_idx" ON "test_results" USING btree ("project_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE status in ('failed', 'errored');--> statement-breakpoint
CREATE INDEX "test_results_cluster_idx" ON "test_results" USING btree ("cluster_id","run_started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE cluster_id is not null;--> statement-breakpoint
CREATE INDEX "failure_clusters_project_last_seen_idx" ON "failure_clusters" USING btree ("project_id","last_seen_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "failure_clusters_project_created_idx" ON "failure_clusters" USING btree ("project_id","created_at" DESC NULLS FIRST);