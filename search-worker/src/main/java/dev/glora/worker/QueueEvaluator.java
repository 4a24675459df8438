package dev.glora.worker;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.jobs.Stores;
import dev.glora.queue.LeaseLostException;
import dev.glora.queue.TaskKind;
import dev.glora.queue.TaskQueue;
import dev.glora.queue.TaskStatus;
import dev.glora.search.Encoding;
import dev.glora.search.Evaluator;
import dev.glora.search.SearchException;
import dev.glora.supernet.config.SubnetConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's evaluator: a generation's candidates become {@code EVALUATE} tasks that any
 * worker may take, the coordinator's own worker included, which works on them while it waits.
 * Scores are deterministic per configuration, so the search breeds exactly as with a local
 * evaluator.
 */
final class QueueEvaluator implements Evaluator {

    private final Stores stores;
    private final Worker worker;
    private final HeldTask coordinator;
    private final Encoding encoding;
    private final int perTask;

    QueueEvaluator(Stores stores, Worker worker, HeldTask coordinator, Encoding encoding, int perTask) {
        this.stores = stores;
        this.worker = worker;
        this.coordinator = coordinator;
        this.encoding = encoding;
        this.perTask = perTask;
    }

    @Override
    public Score[] evaluate(List<SubnetConfig> configs, double mustBeat) {
        long jobId = coordinator.task().jobId();
        List<Long> ids = stores.queue().fenced(coordinator.task().lease(), "queueing evaluations of job " + jobId,
                c -> {
                    List<Long> queued = new ArrayList<>();
                    for (int from = 0; from < configs.size(); from += perTask) {
                        JsonObject payload = new JsonObject();
                        JsonArray alleles = new JsonArray();
                        for (SubnetConfig config : configs.subList(from, Math.min(configs.size(), from + perTask))) {
                            JsonArray genes = new JsonArray();
                            for (int allele : encoding.encode(config)) {
                                genes.add(allele);
                            }
                            alleles.add(genes);
                        }
                        payload.add("alleles", alleles);
                        if (Double.isFinite(mustBeat)) {
                            payload.addProperty("mustBeat", mustBeat);
                        }
                        queued.add(stores.queue().enqueue(c, jobId, TaskKind.EVALUATE, payload.toString()));
                    }
                    return queued;
                });
        while (true) {
            coordinator.check();
            Map<Long, TaskQueue.TaskState> states = stores.queue().states(ids);
            if (ids.stream().allMatch(id -> states.get(id).status() == TaskStatus.DONE)) {
                return collect(ids, states, configs.size());
            }
            for (long id : ids) {
                TaskQueue.TaskState state = states.get(id);
                if (state.status() == TaskStatus.DEAD) {
                    throw new SearchException("evaluation task " + id + " of job " + jobId + " failed after "
                            + state.attempt() + " attempt(s): " + state.error());
                }
                if (state.status() == TaskStatus.CANCELLED) {
                    throw new LeaseLostException(coordinator.task().lease());
                }
            }
            if (!worker.runOne(jobId, TaskKind.EVALUATE)) {
                worker.awaitWork();
            }
        }
    }

    private static Score[] collect(List<Long> ids, Map<Long, TaskQueue.TaskState> states, int size) {
        Score[] scores = new Score[size];
        int i = 0;
        for (long id : ids) {
            for (var element : JsonParser.parseString(states.get(id).result()).getAsJsonObject()
                    .getAsJsonArray("scores")) {
                JsonObject score = element.getAsJsonObject();
                scores[i++] = new Score(score.get("accuracy").getAsDouble(), score.get("complete").getAsBoolean());
            }
        }
        return scores;
    }
}
