-- Hand-written (ingest): room on every page for the next version of its rows, on the two tables an upload rewrites
-- row by row. test_cases: the flakiness rollup and counters of the tests a run ran; on full pages each new row version
-- went to another page and into all six indexes, the trigram one included (0.6 of 2.2 s of a 10k-result upload).
-- test_day_rollups: every run of the day adds to its tests' rows. With room left the update is HOT (same page, no index
-- entries). Pages written before this migration stay as full as they were until the table is rewritten.
ALTER TABLE "test_cases" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "test_day_rollups" SET (fillfactor = 50);
