package dev.glora.worker;

import dev.glora.jobs.Stores;
import dev.glora.queue.Task;
import dev.glora.search.Evaluator;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code EVALUATE} task: scores a batch of candidates on the job's supernet and validation set,
 * one PyTorch thread, so any worker gets the same scores.
 *
 * <p>Payload: {@code {"alleles": [[...], ...], "mustBeat": x}}; result: {@code {"scores":
 * [{"accuracy": a, "complete": true}, ...]}}, in order.
 */
final class CandidateEvaluation {

    private final Stores stores;
    private final JobInputs inputs;
    private final Timer timer;
    private final Counter evaluated;

    CandidateEvaluation(Stores stores, JobInputs inputs, Timer timer, Counter evaluated) {
        this.stores = stores;
        this.inputs = inputs;
        this.timer = timer;
        this.evaluated = evaluated;
    }

    void run(HeldTask held) {
        Task task = held.task();
        JobInputs.Entry job = inputs.entry(task.jobId());
        EvaluationTask payload = EvaluationTask.parse(task.payload());
        double mustBeat = payload.mustBeatOrNone();
        List<Evaluator.Score> scores = new ArrayList<>();
        SubnetScorer scorer = job.borrow();
        try {
            for (int[] alleles : payload.alleles()) {
                held.check();
                long start = System.nanoTime();
                SubnetScorer.Scored scored =
                        scorer.score(job.encoding.decode(alleles), Racing.OFF, mustBeat);
                timer.record(Duration.ofNanos(System.nanoTime() - start));
                evaluated.increment();
                scores.add(new Evaluator.Score(scored.accuracy().value(), scored.complete()));
            }
        } finally {
            job.giveBack(scorer);
        }
        stores.queue().complete(task.lease(), new EvaluationTask.Result(scores).json());
    }
}
