// RejectionReport.swift: the max-reward-vs-K chart and the rejection-sampling state file
// (iterations done and the kept set, for --resume).
import Foundation

public enum RejectionReport {
    /// An SVG line chart: mean max reward against K (log2 axis), one line per temperature.
    public static func svg(curves: [(Float, [(k: Int, meanMax: Double)])]) -> String {
        let colors = ["#06c", "#090", "#c60", "#c00", "#60c", "#333"]
        let series = curves.enumerated().map { (i, c) in
            (name: String(format: "T=%.2f", c.0), color: colors[i % colors.count],
             points: c.1.map { (Int((log2(Double($0.k)) * 100).rounded()), $0.meanMax) })
        }
        var s = Report.svg(title: "mean max reward over K samples (x: 100·log2 K)", series: series)
        s += "<!-- " + curves.map { c in String(format: "T=%.2f: ", c.0) + c.1.map { "K=\($0.k) \(String(format: "%.4f", $0.meanMax))" }.joined(separator: ", ") }.joined(separator: "; ") + " -->"
        return s
    }

    public static func saveState(_ path: String, iteration: Int, kept: [Int: KeptSample]) throws {
        var s = "{\"iterations_done\": \(iteration), \"kept\": [\n"
        s += kept.values.sorted { $0.promptIndex < $1.promptIndex }.map {
            "{\"prompt\": \($0.promptIndex), \"reward\": \($0.reward), \"iteration\": \($0.iteration), \"response\": [\($0.response.map(String.init).joined(separator: ","))]}"
        }.joined(separator: ",\n")
        s += "\n]}\n"
        try writeAtomically(Data(s.utf8), to: path)
    }

    public static func loadState(_ path: String) throws -> (Int, [Int: KeptSample]) {
        guard let d = FileManager.default.contents(atPath: path),
              let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any],
              let n = o["iterations_done"] as? NSNumber, let ks = o["kept"] as? [[String: Any]] else {
            throw TrainerError.format(file: path, message: "not a rejection_state.json")
        }
        var kept: [Int: KeptSample] = [:]
        for k in ks {
            guard let p = k["prompt"] as? NSNumber, let r = k["reward"] as? NSNumber, let it = k["iteration"] as? NSNumber,
                  let resp = k["response"] as? [NSNumber] else { throw TrainerError.format(file: path, message: "malformed kept sample") }
            kept[p.intValue] = KeptSample(promptIndex: p.intValue, response: resp.map { Int32($0.intValue) }, reward: r.doubleValue, iteration: it.intValue)
        }
        return (n.intValue, kept)
    }
}
