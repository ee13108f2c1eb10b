// PositionPerplexity.swift: perplexity against position in the context (`eval ppl --by-position`), the
// measurement that shows what a RoPE scaling does past the trained length. The documents are encoded
// (BOS each) and concatenated into one stream, cut into disjoint windows of exactly `context` tokens (a
// last partial window is dropped, so every bucket averages over the same windows); in each window the
// token at position i (1 ≤ i < context) is predicted from positions 0..<i. Positions are grouped into
// `buckets` equal ranges; a bucket's perplexity is exp(mean negative log-likelihood of its targets).
import Foundation
import SpindleIO
import SpindleTrainer

public struct PositionPerplexity: Sendable {
    public let context: Int
    public let width: Int
    public private(set) var nll: [Double]
    public private(set) var targets: [Int]
    public private(set) var windows = 0

    public init(context: Int, buckets: Int) {
        self.context = context
        width = (context + buckets - 1) / buckets
        nll = [Double](repeating: 0, count: (context + width - 1) / width)
        targets = [Int](repeating: 0, count: nll.count)
    }

    /// Scores `texts` with `scorer` in windows of `context` tokens, at most `maxWindows` of them.
    public static func run(_ texts: [String], encoder: HarnessEncoder, scorer: Scorer, context: Int, buckets: Int,
                           maxWindows: Int? = nil, progress: ((Int) -> Void)? = nil) throws -> PositionPerplexity {
        var r = PositionPerplexity(context: context, buckets: buckets)
        var stream: [Int32] = []
        for t in texts {
            stream += encoder.encode(t)
            while stream.count >= context, r.windows < (maxWindows ?? .max) {
                r.add(try scorer.logProbs(Array(stream[0..<context])))
                stream.removeFirst(context)
                progress?(r.windows)
            }
            if r.windows >= (maxWindows ?? .max) { break }
        }
        return r
    }

    /// Adds one window's T−1 log-probs (entry i predicts position i + 1).
    mutating func add(_ logProbs: [Float]) {
        for (i, lp) in logProbs.enumerated() {
            let b = (i + 1) / width
            nll[b] -= Double(lp); targets[b] += 1
        }
        windows += 1
    }

    /// Per bucket: first and last position, targets, mean NLL and perplexity (buckets without targets left out).
    public var rows: [(first: Int, last: Int, targets: Int, loss: Double, perplexity: Double)] {
        nll.indices.filter { targets[$0] > 0 }.map { b in
            let loss = nll[b] / Double(targets[b])
            return (b * width, min(context, (b + 1) * width) - 1, targets[b], loss, exp(loss))
        }
    }

    /// The table `eval ppl --by-position` prints.
    public var table: String {
        var s = "positions        targets      loss  perplexity\n"
        for r in rows {
            s += String(format: "%6d-%-6d  %10d  %8.4f  %10.3f\n", r.first, r.last, r.targets, r.loss, r.perplexity)
        }
        return s + "windows \(windows) of \(context) tokens"
    }

    public var json: JSONValue {
        .object([("context", .int(context)), ("windows", .int(windows)), ("buckets", .array(rows.map { r in
            .object([("first", .int(r.first)), ("last", .int(r.last)), ("targets", .int(r.targets)),
                     ("loss", .double(r.loss)), ("perplexity", .double(r.perplexity))])
        }))])
    }

    /// Perplexity against position (each bucket at its middle), log scale; `trained` draws the trained length.
    public static func svg(_ runs: [(name: String, result: PositionPerplexity)]) -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        return PositionChart.svg(title: "perplexity by position", series: runs.enumerated().map { i, r in
            (r.name, colors[i % colors.count], r.result.rows.map { (($0.first + $0.last) / 2, $0.perplexity) })
        }, logY: true)
    }
}
