ALTER TYPE "public"."flaky_label" ADD VALUE 'new';--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "flaky_reason" text;--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "flaky_branch" text;--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "failing_since" jsonb;--> statement-breakpoint
ALTER TABLE "test_cases" ADD COLUMN "last_passed" jsonb;