-- The runs list filtered by status, and its count of matching runs (services/runs.ts listRuns), walk only the runs of
-- that status: through the project's index a status no run has read every run of the project (52 ms at 100,000 runs).
CREATE INDEX "runs_project_status_started_idx" ON "runs" USING btree ("project_id","status","started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);
