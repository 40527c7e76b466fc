-- The files of one upload share its id. Files stored before kept only their transaction's time, which the files of one
-- upload share: each such group becomes one upload, named by its first file's id.
ALTER TABLE "run_uploads" ADD COLUMN "upload_id" uuid;--> statement-breakpoint
UPDATE "run_uploads" u SET "upload_id" = g."first" FROM (
  SELECT "id", first_value("id") OVER (PARTITION BY "run_id", "created_at" ORDER BY "id") AS "first" FROM "run_uploads"
) g WHERE g."id" = u."id";--> statement-breakpoint
ALTER TABLE "run_uploads" ALTER COLUMN "upload_id" SET NOT NULL;
