CREATE TABLE "test_days_due" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"mode" text NOT NULL,
	CONSTRAINT "test_days_due_project_id_id_pk" PRIMARY KEY("project_id","id")
);
--> statement-breakpoint
ALTER TABLE "run_uploads" ALTER COLUMN "upload_id" SET DEFAULT gen_random_uuid();--> statement-breakpoint
ALTER TABLE "test_days_due" ADD CONSTRAINT "test_days_due_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;