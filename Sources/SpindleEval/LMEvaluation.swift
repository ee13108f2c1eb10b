// LMEvaluation.swift: one multiple-choice task end to end: documents → requests → log-likelihoods
// (a question's choices scored together, their shared context computed once) → per-document
// outcomes → the harness's metrics.
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// One request as the harness logs it (`arguments` and `resps` of its samples file).
public struct RequestRecord: Sendable {
    public var context: String
    public var continuation: String
    public var logLikelihood: Double
    public var isGreedy: Bool
}

/// A task's outcome: per-document results, and the metrics per (sub)task.
public struct TaskOutcome: Sendable {
    public var task: HarnessTask
    public var shots: Int
    public var docs: [DocOutcome]
    public var requests: [[RequestRecord]]   // per document
    public var scorerForwards: Int           // prefix forwards run
    public var scorerSteps: Int              // lockstep decode steps run

    /// Subtask names in first-seen order (empty for a single task).
    public var subtasks: [String] {
        var seen: [String] = []
        for d in docs { if let s = d.subtask, !seen.contains(s) { seen.append(s) } }
        return seen
    }

    /// The metric over documents of `subtask` (nil: every document).
    public func metric(_ name: String, subtask: String? = nil) -> MetricValue {
        MetricValue(docs.filter { subtask == nil || $0.subtask == subtask }.map { $0.metric(name) })
    }

    /// The task's headline metric: the plain mean, or for a group the size-weighted pooled one.
    public func headline(_ name: String) -> MetricValue {
        let subs = subtasks
        return subs.isEmpty ? metric(name) : .pooled(subs.map { metric(name, subtask: $0) })
    }
}

public final class LMEvaluator {
    public let encoder: HarnessEncoder
    public let scorer: ContinuationScorer

    /// `rows`: choices scored in lockstep after their shared context.
    public init(model: LlamaModel, tokenizer: SentencePieceModel, addBOS: Bool = true, rows: Int = 8) throws {
        encoder = HarnessEncoder(tokenizer: tokenizer, addBOS: addBOS, maxLength: model.config.maxSeqLen)
        scorer = try ContinuationScorer(model: model, rows: rows)
    }

    /// Scores `docs` with `shots[i]` exemplars before document i. `progress` gets the documents done.
    public func run(task: HarnessTask, docs: [ChoiceDoc], shots: [[ChoiceDoc]], file: String = "input",
                    progress: ((Int) -> Void)? = nil) throws -> TaskOutcome {
        precondition(shots.count == docs.count)
        let f0 = scorer.prefills, s0 = scorer.steps
        var outcomes: [DocOutcome] = [], records: [[RequestRecord]] = []
        for (i, doc) in docs.enumerated() {
            let reqs = harnessRequests(doc, shots: shots[i])
            let scores: [SpanScore]
            do { scores = try scorer.score(try reqs.map { try encoder.span(context: $0.context, continuation: $0.continuation) }) } catch let e as EvalError {
                throw InputError(.invalidValue, file: file, line: doc.line, field: "choices", e.description)
            } catch let e as TrainerError {
                throw InputError(.invalidValue, file: file, line: doc.line, "\(e)")
            }
            outcomes.append(DocOutcome(logLikelihoods: scores.map(\.logLikelihood), greedy: scores.map(\.isGreedy),
                                       gold: doc.gold, choices: doc.choices, subtask: doc.subtask))
            records.append(zip(reqs, scores).map { RequestRecord(context: $0.context, continuation: $0.continuation, logLikelihood: $1.logLikelihood, isGreedy: $1.isGreedy) })
            progress?(i + 1)
        }
        return TaskOutcome(task: task, shots: shots.first?.count ?? 0, docs: outcomes, requests: records,
                           scorerForwards: scorer.prefills - f0, scorerSteps: scorer.steps - s0)
    }
}
