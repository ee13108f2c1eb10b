import Foundation
import SpindleShards

extension RewardAccuracy {
    /// What `spindle eval rm` prints: pairs, accuracy per degree and per aspect, the score
    /// distributions, and `accuracy X` as the last line.
    public var text: String {
        var lines = ["pairs \(total)"]
        for d in (0...3).reversed() where byDegree[d].total > 0 {
            let label = PreferenceDegree(rawValue: d)!.label
            lines.append(String(format: "degree %-20@ %.4f  (%d/%d)", label as NSString, Double(byDegree[d].correct) / Double(byDegree[d].total),
                                byDegree[d].correct, byDegree[d].total))
        }
        for (k, v) in byAspect.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "aspect %-20@ %.4f  (%d/%d)", k as NSString, Double(v.correct) / Double(v.total), v.correct, v.total))
        }
        func describe(_ name: String, _ x: [Float]) -> String {
            let s = x.map(Double.init).sorted()
            let mean = s.reduce(0, +) / Double(s.count)
            let sd = (s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(s.count)).squareRoot()
            func q(_ p: Double) -> Double { s[min(s.count - 1, Int(p * Double(s.count - 1)))] }
            return String(format: "scores %-9@ mean %.4f  std %.4f  min %.4f  p25 %.4f  median %.4f  p75 %.4f  max %.4f",
                          name as NSString, mean, sd, s.first!, q(0.25), q(0.5), q(0.75), s.last!)
        }
        lines.append(describe("chosen", chosenScores))
        lines.append(describe("rejected", rejectedScores))
        lines.append(describe("margin", zip(chosenScores, rejectedScores).map { $0 - $1 }))
        lines.append(String(format: "accuracy %.4f", accuracy))
        return lines.joined(separator: "\n")
    }
}
