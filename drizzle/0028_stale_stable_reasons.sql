-- A stable test whose reason names failures on its label branch ("passing on main; 4 of the last 30 runs failed") had
-- them counted in the window of every branch only, where thirty newer results of other branches hid them: it was not
-- under watch (services/flakiness.ts UNDER_WATCH), so no later pass rewrote the reason. Under watch now, it is rescored
-- at its next upload, which writes its true count (analysis/flakiness.ts windowFailures).
UPDATE "test_cases" SET "flaky_window_failures" = 1
WHERE "flaky_label" = 'stable' AND "flaky_window_failures" = 0
  AND ("flaky_reason" LIKE 'passing on %, not in a flaky pattern' OR "flaky_reason" LIKE 'failed the last %, too few in a row to call it broken');
