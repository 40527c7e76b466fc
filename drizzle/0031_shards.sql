ALTER TABLE "run_uploads" ADD COLUMN "shard_index" smallint;--> statement-breakpoint
ALTER TABLE "run_uploads" ADD COLUMN "shard_total" smallint;--> statement-breakpoint
ALTER TABLE "run_uploads" ADD CONSTRAINT "run_uploads_shard_check" CHECK (("run_uploads"."shard_index" is null) = ("run_uploads"."shard_total" is null) and "run_uploads"."shard_index" between 1 and "run_uploads"."shard_total");