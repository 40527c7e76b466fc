-- test_day_rollups.durations are kept sorted ascending from here on (services/test-rollups.ts): a new run's duration
-- is put in at its place and the day's p50/p95 read by position, instead of sorting the day's durations again on
-- every upload (which grew with the day's runs). The rows written before are sorted once.
UPDATE "test_day_rollups" SET "durations" = array(SELECT v FROM unnest("durations") AS v ORDER BY v) WHERE cardinality("durations") > 1;
