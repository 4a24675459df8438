-- an artefact's content moves into chunks of its own table: one bytea value holds at most 1 GB,
-- less than a ViT-L checkpoint, and writing or reading one value needs it whole in memory on both
-- sides; chunks are written and read one at a time. The FK is checked at commit, so a writer can
-- store the chunks first and the artefact's size and digest, known only then, last.
CREATE TABLE artefact_chunk (
    job_id  BIGINT  NOT NULL,
    kind    TEXT    NOT NULL,
    ordinal INT     NOT NULL CHECK (ordinal >= 0),
    content BYTEA   NOT NULL,
    PRIMARY KEY (job_id, kind, ordinal),
    FOREIGN KEY (job_id, kind) REFERENCES artefact (job_id, kind) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
-- uncompressed out-of-line storage, as the column had (V3): substring() reads only its part
ALTER TABLE artefact_chunk ALTER COLUMN content SET STORAGE EXTERNAL;

-- what was stored before becomes a single chunk (at most 1 GB, as it was)
INSERT INTO artefact_chunk (job_id, kind, ordinal, content) SELECT job_id, kind, 0, content FROM artefact
    WHERE length(content) > 0;
ALTER TABLE artefact DROP COLUMN content;
