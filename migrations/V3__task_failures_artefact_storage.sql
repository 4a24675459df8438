-- attempts count the task's own failures; a lapsed lease or an infrastructure error (the database
-- restarting) requeues a task without spending one. claims still counts every claim.
ALTER TABLE task ADD COLUMN failures INT NOT NULL DEFAULT 0;
UPDATE task SET failures = attempt WHERE status = 'DEAD';

-- artefacts are read a chunk at a time for downloads; uncompressed out-of-line storage makes
-- substring() read only the chunk (checkpoints barely compress anyway)
ALTER TABLE artefact ALTER COLUMN content SET STORAGE EXTERNAL;
