// RejectionReport.swift: the max-reward-vs-K chart and the rejection-sampling state file
// (iterations done and the kept set, for --resume).
import Foundation
import SpindleIO

public enum RejectionReport {
    /// An SVG line chart: mean max reward against K (log2 axis), one line per temperature.
    public static func svg(curves: [(Float, [(k: Int, meanMax: Double)])]) -> String {
        let colors = ["#06c", "#090", "#c60", "#c00", "#60c", "#333"]
        let series = curves.enumerated().map { (i, c) in
            (name: String(format: "T=%.2f", c.0), color: colors[i % colors.count],
             points: c.1.map { (Int((log2(Double($0.k)) * 100).rounded()), $0.meanMax) })
        }
        let ks = Set(curves.flatMap { $0.1.map(\.k) }).sorted()
        var s = Report.svg(title: "mean max reward over K samples (K on a log scale; Llama 2 Fig. 7/8)", series: series,
                           xTicks: ks.map { (x: Int((log2(Double($0)) * 100).rounded()), label: "K=\($0)") })
        s += "<!-- " + curves.map { c in String(format: "T=%.2f: ", c.0) + c.1.map { "K=\($0.k) \(String(format: "%.4f", $0.meanMax))" }.joined(separator: ", ") }.joined(separator: "; ") + " -->"
        return s
    }

    /// One kept sample as a line of the state file (`response` compact, members spaced).
    static func keptValue(_ k: KeptSample) -> JSONValue {
        .object([("prompt", .int(k.promptIndex)), ("reward", .number(k.reward.isFinite ? "\(k.reward)" : "null")),
                 ("iteration", .int(k.iteration)), ("response", .array(k.response.map { .int($0) }))])
    }

    /// The state file: `iterations_done` and one kept sample a line, so a diff shows which prompts changed.
    /// rejection_state.json: iterations done and the kept set, one kept sample per line.
    public static func stateBytes(iteration: Int, kept: [Int: KeptSample]) -> Data {
        let lines = kept.values.sorted { $0.promptIndex < $1.promptIndex }.map { keptValue($0).text(.spaced) }
        // The frame around the lines, written by the same layout: `{"iterations_done": N, "kept": [` … `]}`.
        let frame = JSONValue.object([("iterations_done", .int(iteration)), ("kept", .array([]))]).text(.spaced)
        return Data((frame.dropLast(2) + "\n" + lines.joined(separator: ",\n") + "\n]}\n").utf8)
    }

    public static func loadState(_ path: String) throws -> (Int, [Int: KeptSample]) {
        guard let o = try JSONFields.load(path, errors: .format) else {
            throw TrainerError.format(file: path, message: "cannot read rejection_state.json")
        }
        var kept: [Int: KeptSample] = [:]
        for (i, item) in try o.required("kept", o.array).enumerated() {
            let k = try JSONFields(item, file: path, prefix: "kept[\(i)].", errors: .format)
            let p = try k.required("prompt", k.int)
            kept[p] = KeptSample(promptIndex: p, response: try k.required("response", k.ints).map { Int32(clamping: $0) },
                                 reward: try k.required("reward", k.number), iteration: try k.required("iteration", k.int))
        }
        return (try o.required("iterations_done", o.int), kept)
    }
}
