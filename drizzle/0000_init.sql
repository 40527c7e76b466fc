CREATE TYPE "public"."api_key_scope" AS ENUM('ingest', 'read');--> statement-breakpoint
CREATE TYPE "public"."cluster_status" AS ENUM('open', 'investigating', 'resolved', 'ignored', 'regressed');--> statement-breakpoint
CREATE TYPE "public"."diagnosis_engine" AS ENUM('rules', 'openai', 'anthropic');--> statement-breakpoint
CREATE TYPE "public"."failure_category" AS ENUM('timeout', 'locator', 'assertion', 'network', 'crash', 'environment', 'infrastructure', 'flaky', 'unknown');--> statement-breakpoint
CREATE TYPE "public"."flaky_label" AS ENUM('stable', 'flaky', 'broken');--> statement-breakpoint
CREATE TYPE "public"."report_format" AS ENUM('junit', 'playwright', 'ctrf', 'proofdeck');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('passed', 'failed', 'empty');--> statement-breakpoint
CREATE TYPE "public"."test_status" AS ENUM('passed', 'failed', 'errored', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('admin', 'member', 'viewer');--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"default_branch" text DEFAULT 'main' NOT NULL,
	"repository_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" "api_key_scope"[] NOT NULL,
	"project_id" uuid,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_memberships" (
	"user_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_memberships_user_id_project_id_pk" PRIMARY KEY("user_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" "user_role" DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"content_hash" text NOT NULL,
	"file_name" text NOT NULL,
	"format" "report_format" NOT NULL,
	"results" integer NOT NULL,
	"bytes" integer NOT NULL,
	"notes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"run_key" text NOT NULL,
	"branch" text,
	"commit_sha" text,
	"commit_message" text,
	"build_url" text,
	"environment" text,
	"status" "run_status" NOT NULL,
	"format" "report_format" NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer,
	"total" integer DEFAULT 0 NOT NULL,
	"passed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"errored" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"flaky" integer DEFAULT 0 NOT NULL,
	"infra" boolean DEFAULT false NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "test_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"result_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"status" "test_status" NOT NULL,
	"duration_ms" integer,
	"error_message" text,
	"error_stack" text,
	"started_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "test_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"identity_hash" text NOT NULL,
	"file" text,
	"suite_path" text[] NOT NULL,
	"title" text NOT NULL,
	"variant" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_failure_at" timestamp with time zone,
	"failed_runs" integer DEFAULT 0 NOT NULL,
	"flaky_runs" integer DEFAULT 0 NOT NULL,
	"flaky_score" real DEFAULT 0 NOT NULL,
	"flaky_confidence" real DEFAULT 0 NOT NULL,
	"flaky_label" "flaky_label" DEFAULT 'stable' NOT NULL,
	"flaky_evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_flake_at" timestamp with time zone,
	"flaky_since" timestamp with time zone,
	"flaky_sample" integer DEFAULT 0 NOT NULL,
	"flaky_retry_passes" integer DEFAULT 0 NOT NULL,
	"flaky_flips" integer DEFAULT 0 NOT NULL,
	"flaky_mixed_commits" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_results" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"test_case_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"run_started_at" timestamp with time zone NOT NULL,
	"status" "test_status" NOT NULL,
	"flaky" boolean DEFAULT false NOT NULL,
	"duration_ms" integer,
	"attempt_count" smallint DEFAULT 1 NOT NULL,
	"error_message" text,
	"error_stack" text,
	"stdout" text,
	"stderr" text,
	"line" integer,
	"steps" jsonb,
	"annotations" jsonb,
	"attachments" jsonb,
	"tags" text[],
	"properties" jsonb,
	"fingerprint" text,
	"cluster_id" uuid
);
--> statement-breakpoint
CREATE TABLE "cluster_aliases" (
	"project_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"cluster_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_test_cases" (
	"cluster_id" uuid NOT NULL,
	"test_case_id" uuid NOT NULL,
	"occurrences" integer DEFAULT 0 NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cluster_test_cases_cluster_id_test_case_id_pk" PRIMARY KEY("cluster_id","test_case_id")
);
--> statement-breakpoint
CREATE TABLE "diagnoses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"engine" "diagnosis_engine" NOT NULL,
	"model" text,
	"category" "failure_category" NOT NULL,
	"summary" text NOT NULL,
	"root_cause" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"suggested_fix" text NOT NULL,
	"investigation_steps" jsonb NOT NULL,
	"confidence" real NOT NULL,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" real,
	"latency_ms" integer,
	"error" text,
	"basis" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "diagnosis_feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"diagnosis_id" uuid NOT NULL,
	"user_id" uuid,
	"helpful" integer NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "failure_clusters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"fingerprint_version" smallint NOT NULL,
	"error_type" text NOT NULL,
	"category" "failure_category" DEFAULT 'unknown' NOT NULL,
	"title" text NOT NULL,
	"locator" text,
	"sample_message" text,
	"sample_stack" text,
	"location" text,
	"first_seen_run_id" uuid,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_run_id" uuid,
	"last_seen_at" timestamp with time zone NOT NULL,
	"occurrences" integer DEFAULT 0 NOT NULL,
	"affected_tests" integer DEFAULT 0 NOT NULL,
	"branches" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" "cluster_status" DEFAULT 'open' NOT NULL,
	"status_note" text,
	"status_changed_by" uuid,
	"status_changed_at" timestamp with time zone,
	"merged_into_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_memberships" ADD CONSTRAINT "project_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_memberships" ADD CONSTRAINT "project_memberships_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_uploads" ADD CONSTRAINT "run_uploads_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "test_attempts" ADD CONSTRAINT "test_attempts_result_id_test_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."test_results"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "test_cases" ADD CONSTRAINT "test_cases_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_aliases" ADD CONSTRAINT "cluster_aliases_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_aliases" ADD CONSTRAINT "cluster_aliases_cluster_id_failure_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."failure_clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_test_cases" ADD CONSTRAINT "cluster_test_cases_cluster_id_failure_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."failure_clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_test_cases" ADD CONSTRAINT "cluster_test_cases_test_case_id_test_cases_id_fk" FOREIGN KEY ("test_case_id") REFERENCES "public"."test_cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "diagnoses" ADD CONSTRAINT "diagnoses_cluster_id_failure_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."failure_clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "diagnosis_feedback" ADD CONSTRAINT "diagnosis_feedback_diagnosis_id_diagnoses_id_fk" FOREIGN KEY ("diagnosis_id") REFERENCES "public"."diagnoses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "diagnosis_feedback" ADD CONSTRAINT "diagnosis_feedback_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "failure_clusters" ADD CONSTRAINT "failure_clusters_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "failure_clusters" ADD CONSTRAINT "failure_clusters_status_changed_by_users_id_fk" FOREIGN KEY ("status_changed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "projects_slug_idx" ON "projects" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "project_memberships_project_idx" ON "project_memberships" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_idx" ON "users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "run_uploads_run_hash_idx" ON "run_uploads" USING btree ("run_id","content_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_project_key_idx" ON "runs" USING btree ("project_id","run_key");--> statement-breakpoint
CREATE INDEX "runs_project_started_idx" ON "runs" USING btree ("project_id","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_project_branch_started_idx" ON "runs" USING btree ("project_id","branch","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "test_attempts_result_idx" ON "test_attempts" USING btree ("result_id","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "test_cases_identity_idx" ON "test_cases" USING btree ("project_id","identity_hash");--> statement-breakpoint
CREATE INDEX "test_cases_project_flaky_idx" ON "test_cases" USING btree ("project_id","flaky_score" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "test_cases_flaky_since_idx" ON "test_cases" USING btree ("project_id","flaky_since" DESC NULLS LAST) WHERE flaky_since is not null;--> statement-breakpoint
CREATE INDEX "test_results_run_status_idx" ON "test_results" USING btree ("run_id","status");--> statement-breakpoint
CREATE INDEX "test_results_case_started_idx" ON "test_results" USING btree ("test_case_id","run_started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "test_results_project_failed_idx" ON "test_results" USING btree ("project_id","run_started_at" DESC NULLS LAST) WHERE status in ('failed', 'errored');--> statement-breakpoint
CREATE INDEX "test_results_cluster_idx" ON "test_results" USING btree ("cluster_id","run_started_at" DESC NULLS LAST) WHERE cluster_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "cluster_aliases_project_fingerprint_idx" ON "cluster_aliases" USING btree ("project_id","fingerprint");--> statement-breakpoint
CREATE INDEX "cluster_test_cases_test_case_idx" ON "cluster_test_cases" USING btree ("test_case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "diagnoses_cluster_version_idx" ON "diagnoses" USING btree ("cluster_id","version");--> statement-breakpoint
CREATE INDEX "diagnosis_feedback_diagnosis_idx" ON "diagnosis_feedback" USING btree ("diagnosis_id");--> statement-breakpoint
CREATE UNIQUE INDEX "failure_clusters_project_fingerprint_idx" ON "failure_clusters" USING btree ("project_id","fingerprint");--> statement-breakpoint
CREATE INDEX "failure_clusters_project_last_seen_idx" ON "failure_clusters" USING btree ("project_id","last_seen_at" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "failure_clusters_project_created_idx" ON "failure_clusters" USING btree ("project_id","created_at" DESC NULLS LAST);