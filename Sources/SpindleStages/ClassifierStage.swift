// `spindle classify train|score` over JSONL documents.

import SpindleIO

public struct ClassifierStage {
    /// Reads feature sets from JSONL files (text field), capped at `limit` documents per class.
    public static func load(paths: [String], textField: String, features: ClassifierFeatures, limit: Int,
                            policy: ErrorPolicy) throws -> [(id: String, idx: [Int32])] {
        var out: [(String, [Int32])] = []
        var text: [UInt8] = [], norm: [UInt8] = [], words: [UInt64] = []
        let records = try StageInput(paths: paths, canonicalOrder: false, policy: policy)
        do {
            try records.forEach { path, line, json in
                if out.count >= limit { throw StopReading() }
                try StageText.text(of: json, field: textField, into: &text)
                let idx = text.withUnsafeBufferPointer { features.indices($0, scratch: &norm, words: &words) }
                out.append((StageText.id(of: json, fallback: "\(path):\(line)"), idx))
            }
        } catch is StopReading {}
        try records.finish(command: "classify")
        return out
    }
    struct StopReading: Error {}

    /// Held-out split by id hash: about `fraction` of documents go to evaluation, the same ones every run.
    public static func isHeldOut(_ id: String, fraction: Double) -> Bool {
        let h = XXH64.hash(Array(id.utf8), seed: 0x484F_4C44)
        return Double(h >> 11) * 0x1.0p-53 < fraction
    }

    /// Scores documents, adding `field` with the factual probability (4 decimals); `skipped` counts the
    /// lines `--on-error skip` left out.
    public static func score(model: ClassifierModel, inputs: [String], field: String, textField: String,
                             output: OutputFile, policy: ErrorPolicy, rejects: String?) throws -> (documents: Int, above: Int, mean: Double, skipped: Int) {
        var text: [UInt8] = [], norm: [UInt8] = [], words: [UInt64] = []
        var n = 0, above = 0, sum = 0.0
        let records = try StageInput(paths: inputs, canonicalOrder: false, policy: policy, rejectsPath: rejects)
        try records.forEach { _, _, json in
            try StageText.text(of: json, field: textField, into: &text)
            let idx = text.withUnsafeBufferPointer { model.features.indices($0, scratch: &norm, words: &words) }
            let p = model.probability(idx)
            n += 1; sum += p
            if p >= 0.5 { above += 1 }
            let r = (p * 10000).rounded() / 10000
            try output.write(StageText.setting(json, field: field, rawJSON: Array(JSONValue.format(r).utf8)))
        }
        try records.finish(command: "classify score")
        return (n, above, n > 0 ? sum / Double(n) : 0, records.skippedTotal)
    }
}
