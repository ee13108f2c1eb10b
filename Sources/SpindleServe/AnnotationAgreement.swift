// AnnotationAgreement.swift: inter-annotator agreement on the chosen side of pairs judged by several
// annotators (`--annotate-overlap`): percent agreement (the share of agreeing annotator pairs per pair,
// averaged), Fleiss' kappa over every such pair (raters per pair may vary: per-pair agreement
// P_i = Σ_j n_ij (n_ij − 1) / (n_i (n_i − 1)), chance P_e = Σ_j p_j² with p_j pooled over all ratings),
// and Cohen's kappa for each two annotators over the pairs both judged.
import Foundation
import SpindleIO

enum Agreement {
    /// `ratings[pair][annotator] = category`. Pairs with fewer than two ratings are left out.
    static func summary(_ ratings: [String: [String: String]]) -> JSONValue {
        let items = ratings.filter { $0.value.count >= 2 }
        let categories = Set(items.values.flatMap(\.values)).sorted()
        var rows: [[Int]] = []
        for (_, r) in items.sorted(by: { $0.key < $1.key }) {
            rows.append(categories.map { c in r.values.filter { $0 == c }.count })
        }
        var cohen: [JSONValue] = []
        let annotators = Set(items.values.flatMap(\.keys)).sorted()
        for (i, a) in annotators.enumerated() {
            for b in annotators[(i + 1)...] {
                let both = items.values.compactMap { r -> (String, String)? in
                    guard let x = r[a], let y = r[b] else { return nil }
                    return (x, y)
                }
                guard !both.isEmpty else { continue }
                let agree = Double(both.filter { $0.0 == $0.1 }.count) / Double(both.count)
                cohen.append(.object([("annotators", .array([.string(a), .string(b)])), ("pairs", .int(both.count)),
                                      ("agreement", number(agree)), ("kappa", number(cohenKappa(both)))]))
            }
        }
        return .object([("pairs", .int(items.count)), ("judgements", .int(items.values.reduce(0) { $0 + $1.count })),
                        ("percent_agreement", number(rows.isEmpty ? nil : percentAgreement(rows) * 100)),
                        ("fleiss_kappa", number(fleissKappa(rows))), ("cohen_kappa", .array(cohen))])
    }

    static func number(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return .null }
        return .number(String(format: "%.4f", x))
    }

    /// Mean over items of the share of agreeing rater pairs; `rows[i][j]` = raters putting item i in category j.
    static func percentAgreement(_ rows: [[Int]]) -> Double {
        var sum = 0.0
        for r in rows {
            let n = r.reduce(0, +)
            sum += Double(r.reduce(0) { $0 + $1 * ($1 - 1) }) / Double(n * (n - 1))
        }
        return sum / Double(rows.count)
    }

    /// Fleiss' kappa; nil without items or when chance agreement is 1 (every rating the same category).
    static func fleissKappa(_ rows: [[Int]]) -> Double? {
        guard !rows.isEmpty else { return nil }
        let total = Double(rows.reduce(0) { $0 + $1.reduce(0, +) })
        var pe = 0.0
        for j in 0..<(rows.first?.count ?? 0) {
            let p = Double(rows.reduce(0) { $0 + $1[j] }) / total
            pe += p * p
        }
        guard pe < 1 else { return nil }
        return (percentAgreement(rows) - pe) / (1 - pe)
    }

    /// Cohen's kappa of two raters' labels; nil when chance agreement is 1.
    static func cohenKappa(_ pairs: [(String, String)]) -> Double? {
        let n = Double(pairs.count)
        let po = Double(pairs.filter { $0.0 == $0.1 }.count) / n
        var pe = 0.0
        for c in Set(pairs.flatMap { [$0.0, $0.1] }) {
            pe += Double(pairs.filter { $0.0 == c }.count) / n * Double(pairs.filter { $0.1 == c }.count) / n
        }
        guard pe < 1 else { return nil }
        return (po - pe) / (1 - pe)
    }
}
