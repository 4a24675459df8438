-- The GLoRA search service's schema, version 1: jobs, their results, artefacts, events and the
-- work queue. Times are written by the application from its (injectable) clock, never by now(),
-- so that lease expiry can be tested without sleeping.

CREATE TABLE job (
    id                   BIGSERIAL PRIMARY KEY,
    name                 TEXT        NOT NULL,
    spec                 JSONB       NOT NULL,          -- as submitted, defaults filled in
    seed                 BIGINT      NOT NULL,
    status               TEXT        NOT NULL DEFAULT 'QUEUED'
        CHECK (status IN ('QUEUED', 'TRAINING', 'SEARCHING', 'EXPORTING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    error                TEXT,
    epochs_done          INT         NOT NULL DEFAULT 0,
    epochs_total         INT         NOT NULL,
    generations_done     INT         NOT NULL DEFAULT 0,
    generations_total    INT         NOT NULL,
    candidates_evaluated INT         NOT NULL DEFAULT 0,
    best_accuracy        DOUBLE PRECISION,
    best_parameters      BIGINT,
    test_accuracy        DOUBLE PRECISION,
    created_at           TIMESTAMPTZ NOT NULL,
    started_at           TIMESTAMPTZ,
    finished_at          TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_status ON job (status);

-- one row per finished supernet training epoch
CREATE TABLE supernet_epoch (
    job_id            BIGINT           NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    epoch             INT              NOT NULL,
    epochs            INT              NOT NULL,
    lr                DOUBLE PRECISION NOT NULL,
    loss              DOUBLE PRECISION NOT NULL,
    images_per_second DOUBLE PRECISION NOT NULL,
    seconds           DOUBLE PRECISION NOT NULL,
    validation        JSONB            NOT NULL,        -- accuracy per evaluation mode
    PRIMARY KEY (job_id, epoch)
);

-- one row per completed generation; its candidates are in candidate
CREATE TABLE generation (
    job_id          BIGINT           NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    generation      INT              NOT NULL,          -- 0-based
    best            DOUBLE PRECISION NOT NULL,
    mean            DOUBLE PRECISION NOT NULL,
    worst           DOUBLE PRECISION NOT NULL,
    best_parameters BIGINT           NOT NULL,
    best_so_far     DOUBLE PRECISION NOT NULL,
    evaluated       INT              NOT NULL,
    seconds         DOUBLE PRECISION NOT NULL,
    raced           INT              NOT NULL,
    PRIMARY KEY (job_id, generation)
);

-- every evaluated configuration; ordinal is the search's evaluation order, which a resumed
-- search needs to breed exactly as an uninterrupted one
CREATE TABLE candidate (
    job_id     BIGINT           NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    ordinal    INT              NOT NULL,
    config_key TEXT             NOT NULL,               -- the configuration's hash (mode indices)
    alleles    INT[]            NOT NULL,               -- mode index per layer and term
    accuracy   DOUBLE PRECISION NOT NULL,               -- validation accuracy
    parameters BIGINT           NOT NULL,               -- trainable parameters, head excluded
    generation INT              NOT NULL,               -- the generation that first produced it
    complete   BOOLEAN          NOT NULL,               -- false when racing stopped it early
    PRIMARY KEY (job_id, ordinal),
    UNIQUE (job_id, config_key),
    FOREIGN KEY (job_id, generation) REFERENCES generation (job_id, generation) ON DELETE CASCADE
);
CREATE INDEX candidate_by_accuracy ON candidate (job_id, accuracy DESC, parameters);

-- files a job produces: the supernet (and its training resume point), best-config JSON, Pareto
-- front and merged model
CREATE TABLE artefact (
    job_id     BIGINT      NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    kind       TEXT        NOT NULL
        CHECK (kind IN ('supernet', 'supernet-resume', 'best-config', 'pareto', 'model')),
    content    BYTEA       NOT NULL,
    size       BIGINT      NOT NULL,
    sha256     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, kind)
);

-- what the API streams as server-sent events; a trigger wakes listeners
CREATE TABLE job_event (
    id         BIGSERIAL PRIMARY KEY,
    job_id     BIGINT      NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    type       TEXT        NOT NULL,                    -- status, epoch, generation
    data       JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_event_by_job ON job_event (job_id, id);

CREATE FUNCTION notify_job_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('glora_event', NEW.job_id::text || ':' || NEW.id::text);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER job_event_notify AFTER INSERT ON job_event FOR EACH ROW EXECUTE FUNCTION notify_job_event();

-- the work queue (after db-scheduler): one statement claims a task and bumps its version; a
-- heartbeat or result that names a stale version changes nothing
CREATE TABLE task (
    id             BIGSERIAL PRIMARY KEY,
    job_id         BIGINT      NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    kind           TEXT        NOT NULL CHECK (kind IN ('TRAIN', 'COORDINATE', 'EVALUATE')),
    priority       INT         NOT NULL,                -- lower first: evaluations keep a search moving
    payload        JSONB       NOT NULL,
    status         TEXT        NOT NULL DEFAULT 'READY'
        CHECK (status IN ('READY', 'RUNNING', 'DONE', 'DEAD', 'CANCELLED')),
    attempt        INT         NOT NULL DEFAULT 0,      -- claims so far
    max_attempts   INT         NOT NULL,
    version        BIGINT      NOT NULL DEFAULT 0,      -- bumped by every claim: the fence
    picked_by      TEXT,
    last_heartbeat TIMESTAMPTZ,
    run_after      TIMESTAMPTZ NOT NULL,                -- back-off after a failed attempt
    result         JSONB,
    error          TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ
);
CREATE INDEX task_ready ON task (priority, id) WHERE status = 'READY';
CREATE INDEX task_running ON task (last_heartbeat) WHERE status = 'RUNNING';
CREATE INDEX task_by_job ON task (job_id, kind, status);

CREATE FUNCTION notify_task_ready() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'READY' THEN
        PERFORM pg_notify('glora_task', NEW.kind);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER task_ready_notify AFTER INSERT OR UPDATE OF status ON task
    FOR EACH ROW EXECUTE FUNCTION notify_task_ready();
