package dev.glora.jobs;

/** The files a job stores, each under its name in the {@code artefact} table and the API. */
public enum ArtefactKind {
    /** The trained supernet (safetensors). */
    SUPERNET("supernet"),
    /** The supernet training's last resume point, while it trains. */
    SUPERNET_RESUME("supernet-resume"),
    /** The chosen configuration, {@code glora-config/1} JSON. */
    BEST_CONFIG("best-config"),
    /** The Pareto front of every evaluated candidate (JSON). */
    PARETO("pareto"),
    /** The merged model (safetensors). */
    MODEL("model"),
    /** The LoRA baseline a job trains beside its search when its spec asks (safetensors, plain). */
    BASELINE_MODEL("baseline-model");

    private final String label;

    ArtefactKind(String label) {
        this.label = label;
    }

    /**
     * @return its name in the database and the API's paths, e.g. {@code best-config}
     */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
