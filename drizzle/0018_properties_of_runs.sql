-- Hand-written (drizzle-kit gave ADD COLUMN ... DEFAULT, which would give every stored run an empty list): the runs
-- stored before keep null ("not known"), and retention keeps every properties row of a project while it has such a run.
ALTER TABLE "runs" ADD COLUMN "properties_ids" uuid[];--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "properties_ids" SET DEFAULT '{}'::uuid[];
