-- issue 30: a candidate seeded as a known adapter carries its name (lora_qkv_r4, all_vector, ...);
-- null for one the search drew or bred
ALTER TABLE candidate ADD COLUMN seed TEXT;

-- the finalists: the search's best by the proxy plus every seed, each trained briefly from the
-- supernet's weights and scored on val; one row per finalist trained, written when it finishes,
-- so a coordinator that takes over trains only those without a row
CREATE TABLE finalist (
    job_id          BIGINT           NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    ordinal         INT              NOT NULL,          -- place in the proxy's order of the finalists
    config_key      TEXT             NOT NULL,
    proxy_accuracy  DOUBLE PRECISION NOT NULL,          -- val with the supernet's shared weights
    accuracy        DOUBLE PRECISION NOT NULL,          -- val after the short training
    parameters      BIGINT           NOT NULL,
    seed            TEXT,
    PRIMARY KEY (job_id, ordinal)
);

-- issue 31: the lease a task's claimant holds it under, so that a worker started with a short
-- --lease requeues only tasks whose own lease lapsed, never another worker's healthy ones
ALTER TABLE task ADD COLUMN lease_seconds DOUBLE PRECISION;

-- finalists are trained as tasks of their own, spread over the workers' slots like evaluations
ALTER TABLE task DROP CONSTRAINT task_kind_check;
ALTER TABLE task ADD CONSTRAINT task_kind_check CHECK (kind IN ('TRAIN', 'COORDINATE', 'EVALUATE', 'FINALIST'));
