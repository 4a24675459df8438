-- a job's LoRA baseline (spec field baseline), merged into a plain model like the job's own, is
-- stored beside it as the artefact 'baseline-model', and its test accuracy beside the job's
ALTER TABLE job ADD COLUMN baseline_test_accuracy DOUBLE PRECISION;
ALTER TABLE artefact DROP CONSTRAINT artefact_kind_check;
ALTER TABLE artefact ADD CONSTRAINT artefact_kind_check
    CHECK (kind IN ('supernet', 'supernet-resume', 'best-config', 'pareto', 'model', 'baseline-model'));
