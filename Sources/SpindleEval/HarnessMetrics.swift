// HarnessMetrics.swift: lm-evaluation-harness's multiple-choice metrics and their aggregation.
//   acc       = [argmax_i ll_i == gold]                    (numpy argmax: the first maximum)
//   acc_norm  = [argmax_i ll_i / len(choice_i) == gold]    (len in code points, as Python's len(str))
//   value     = mean over documents; stderr = sample standard deviation / √n  (`mean_stderr`)
//   a group (mmlu) = size-weighted mean of its subtasks; stderr = `pooled_sample_stderr`.
import Foundation

/// One document's outcome.
public struct DocOutcome: Sendable {
    public var logLikelihoods: [Double]
    public var greedy: [Bool]
    public var gold: Int
    public var choices: [String]
    public var subtask: String?

    public var acc: Double { argmax(logLikelihoods) == gold ? 1 : 0 }
    public var accNorm: Double {
        argmax(zip(logLikelihoods, choices).map { $0 / Double(PythonText.length($1)) }) == gold ? 1 : 0
    }
    public func metric(_ name: String) -> Double { name == "acc_norm" ? accNorm : acc }
}

/// numpy.argmax: the first index of the maximum (a NaN counts as the maximum, as numpy's does).
func argmax(_ v: [Double]) -> Int {
    var best = 0
    for i in v.indices {
        if v[i].isNaN { return i }
        if v[i] > v[best] { best = i }
    }
    return best
}

/// A metric's value and standard error over n documents.
public struct MetricValue: Sendable, Equatable {
    public var value: Double
    public var stderr: Double
    public var n: Int

    /// `mean` and `mean_stderr` (NaN stderr for one document, as the harness's "N/A").
    public init(_ xs: [Double]) {
        n = xs.count
        value = xs.reduce(0, +) / Double(max(n, 1))
        let m = value
        stderr = n > 1 ? (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot() / Double(n).squareRoot() : .nan
    }

    public init(value: Double, stderr: Double, n: Int) { self.value = value; self.stderr = stderr; self.n = n }

    /// `aggregate_subtask_metrics(weight_by_size=True)` and `pooled_sample_stderr`.
    public static func pooled(_ parts: [MetricValue]) -> MetricValue {
        let total = parts.reduce(0) { $0 + $1.n }
        let value = parts.reduce(0.0) { $0 + $1.value * Double($1.n) } / Double(total)
        let v = parts.reduce(0.0) { $0 + Double($1.n - 1) * $1.stderr * $1.stderr * Double($1.n) } / Double(total - parts.count)
        return MetricValue(value: value, stderr: (v / Double(total)).squareRoot(), n: total)
    }
}

/// Chance accuracy: the mean over documents of 1 / number of choices.
public func chanceLevel(_ outcomes: [DocOutcome]) -> Double {
    outcomes.reduce(0.0) { $0 + 1 / Double($1.choices.count) } / Double(max(outcomes.count, 1))
}
