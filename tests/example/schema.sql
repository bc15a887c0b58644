-- The example suite's template database: what an application's migrations
-- would create. Each shard runs on its own copy (shard run --isolate-db).
CREATE TABLE example_meta (suite text);
INSERT INTO example_meta VALUES ('example');
