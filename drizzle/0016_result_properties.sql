CREATE TABLE "result_properties" (
	"project_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"properties" jsonb NOT NULL,
	CONSTRAINT "result_properties_project_id_id_pk" PRIMARY KEY("project_id","id")
);
--> statement-breakpoint
ALTER TABLE "test_results" ADD COLUMN "properties_id" uuid;--> statement-breakpoint
ALTER TABLE "result_properties" ADD CONSTRAINT "result_properties_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Hand-written (the rest is generated): each distinct properties object of a project stored once, its results pointed at it.
INSERT INTO "result_properties" ("project_id", "id", "properties")
  SELECT DISTINCT "project_id", md5("properties"::text)::uuid, "properties" FROM "test_results" WHERE "properties" IS NOT NULL;--> statement-breakpoint
UPDATE "test_results" SET "properties_id" = md5("properties"::text)::uuid, "properties" = NULL WHERE "properties" IS NOT NULL;--> statement-breakpoint
-- End of the hand-written part.
ALTER TABLE "test_results" DROP COLUMN "properties";