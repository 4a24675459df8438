-- Run by Flyway before it validates, at every start. V5 was edited after it landed (it gained
-- job.baseline_test_accuracy, 2026-12-03): a database that ran V5 as it first landed (checksum
-- 734022448) lacks the column and would fail validation against the edited file. It gets the
-- column and the edited V5's checksum (2094035630), once. A landed migration is never edited
-- again: a change is a new V<n>.
DO $$
BEGIN
    -- nested: a statement naming the table is planned only once the table is known to exist
    IF to_regclass('flyway_schema_history') IS NOT NULL THEN
        IF EXISTS (SELECT FROM flyway_schema_history WHERE version = '5' AND checksum = 734022448) THEN
            ALTER TABLE job ADD COLUMN IF NOT EXISTS baseline_test_accuracy DOUBLE PRECISION;
            UPDATE flyway_schema_history SET checksum = 2094035630 WHERE version = '5';
        END IF;
    END IF;
END $$;
