ALTER TABLE "runs" ADD COLUMN "days_due" text;--> statement-breakpoint
CREATE INDEX "runs_days_due_idx" ON "runs" USING btree ("project_id") WHERE days_due is not null;