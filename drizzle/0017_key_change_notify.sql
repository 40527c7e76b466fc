-- Every change that can alter what an API key may do (the key itself, its owner's role or account state, the owner's
-- projects, including cascades from deleting a user or a project) notifies channel proofdeck_key_changes in its own
-- transaction: each app instance keeps the keys it checked in memory and drops them when the notification arrives.
-- Statement-level, and api_keys' last_used_at (written once a minute per key) does not fire it.
CREATE FUNCTION "proofdeck_notify_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('proofdeck_key_changes', '');
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_key_change" AFTER UPDATE OF "key_hash", "user_id", "scopes", "project_id", "expires_at", "revoked_at" OR DELETE OR TRUNCATE ON "api_keys" FOR EACH STATEMENT EXECUTE FUNCTION "proofdeck_notify_key_change"();
--> statement-breakpoint
CREATE TRIGGER "users_key_change" AFTER UPDATE OF "role", "password_hash" OR DELETE OR TRUNCATE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "proofdeck_notify_key_change"();
--> statement-breakpoint
CREATE TRIGGER "project_memberships_key_change" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "project_memberships" FOR EACH STATEMENT EXECUTE FUNCTION "proofdeck_notify_key_change"();
