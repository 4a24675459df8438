package dev.glora.worker;

import dev.glora.jobs.Stores;
import dev.glora.queue.LeaseLostException;
import dev.glora.queue.TaskKind;
import dev.glora.queue.TaskQueue;
import dev.glora.queue.TaskStatus;
import dev.glora.search.Encoding;
import dev.glora.search.Evaluator;
import dev.glora.search.SearchException;
import dev.glora.supernet.config.SubnetConfig;
import java.time.Duration;
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
    private final LocalWork localWork;
    private final HeldTask coordinator;
    private final Encoding encoding;
    private final int perTask;

    /**
     * How soon a waiting coordinator looks at its tasks again: a query of their states (and a claim
     * attempt) ten times a second per running search.
     */
    static final Duration LOOK_AGAIN = Duration.ofMillis(100);

    /**
     * What the coordinator does while it waits: its own worker's slots' share of the work, so a job
     * on a single worker never waits on itself.
     */
    interface LocalWork {
        /**
         * @return whether a task of the job and kind was claimed and run here
         */
        boolean runOne(long jobId, TaskKind kind);

        /**
         * Waits until a task may be ready, or the poll interval passes, or {@code atMost} does.
         *
         * @param atMost the longest wait
         */
        void awaitWork(Duration atMost);
    }

    QueueEvaluator(
            Stores stores,
            LocalWork localWork,
            HeldTask coordinator,
            Encoding encoding,
            int perTask) {
        this.stores = stores;
        this.localWork = localWork;
        this.coordinator = coordinator;
        this.encoding = encoding;
        this.perTask = perTask;
    }

    @Override
    public Score[] evaluate(List<SubnetConfig> configs, double mustBeat) {
        long jobId = coordinator.task().jobId();
        List<Long> ids =
                stores.queue()
                        .fenced(
                                coordinator.task().lease(),
                                "queueing evaluations of job " + jobId,
                                c -> {
                                    List<Long> queued = new ArrayList<>();
                                    for (int from = 0; from < configs.size(); from += perTask) {
                                        List<int[]> alleles = new ArrayList<>();
                                        for (SubnetConfig config :
                                                configs.subList(
                                                        from,
                                                        Math.min(configs.size(), from + perTask))) {
                                            alleles.add(encoding.encode(config));
                                        }
                                        queued.add(
                                                stores.queue()
                                                        .enqueue(
                                                                c,
                                                                jobId,
                                                                TaskKind.EVALUATE,
                                                                EvaluationTask.of(alleles, mustBeat)
                                                                        .json()));
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
                    throw new SearchException(
                            "evaluation task "
                                    + id
                                    + " of job "
                                    + jobId
                                    + " failed after "
                                    + state.attempt()
                                    + " attempt(s): "
                                    + state.error());
                }
                if (state.status() == TaskStatus.CANCELLED) {
                    throw new LeaseLostException(coordinator.task().lease());
                }
            }
            if (!localWork.runOne(jobId, TaskKind.EVALUATE)) {
                // no NOTIFY says an evaluation ended: look again soon, not a whole poll interval
                // later
                // (issue 34: at 256 workers a 2 s poll cost half of a 5 s generation)
                localWork.awaitWork(LOOK_AGAIN);
            }
        }
    }

    private static Score[] collect(
            List<Long> ids, Map<Long, TaskQueue.TaskState> states, int size) {
        Score[] scores = new Score[size];
        int i = 0;
        for (long id : ids) {
            for (Score score : EvaluationTask.Result.parse(states.get(id).result()).scores()) {
                scores[i++] = score;
            }
        }
        return scores;
    }
}
