package dev.glora.cli;

import ai.djl.ndarray.NDArray;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --config}: a plain checkpoint, or a supernet set to one of its
 * subnets.
 */
final class ModelChoice {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "FILE",
            description = "plain or supernet checkpoint")
    private Path model;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "glora-config/1 JSON (required for a supernet)")
    private Path config;

    /**
     * @return the checkpoint file
     */
    Path file() {
        return model;
    }

    /** What is done with a loaded model: its logits function and its architecture. */
    interface ModelUse<T> {
        T apply(UnaryOperator<NDArray> logits, VitArchitecture arch);
    }

    /**
     * Loads the plain checkpoint, or the supernet set to the configuration, and uses it.
     *
     * @param use what to do with it
     * @return what {@code use} returned
     * @throws GloraException if a supernet comes without a configuration, or a plain checkpoint
     *     with one
     */
    <T> T use(ModelUse<T> use) {
        Checkpoint checkpoint = Safetensors.read(model);
        if (checkpoint.metadata().containsKey(Supernet.RANK_KEY)) {
            if (config == null) {
                throw new GloraException(
                        model + " is a supernet; --config names the subnet to use");
            }
            try (Supernet net = Supernet.load(checkpoint, model.toString())) {
                net.setConfig(ConfigJson.read(config));
                return use.apply(images -> net.logits(images, false), net.architecture());
            }
        }
        if (config != null) {
            throw new GloraException(
                    model + " is a plain checkpoint; --config applies to supernets only");
        }
        try (VitModel net = VitModel.load(checkpoint, null, model.toString())) {
            return use.apply(net::logits, net.architecture());
        }
    }
}
