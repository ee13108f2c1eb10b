import SpindleIO

/// The map phase of three-phase dedup (`spindle dedup signatures`): one line per document and LSH
/// band — KEY, PATH, LINE, LENGTH, SCORE, ID, SIGNATURE — which `sort` groups by band key for the
/// reduce phase (`DedupClusterReducer`). The signatures are those the one-shot `--near` run computes.
public struct DedupMap {
    public var options: DedupOptions

    public init(options: DedupOptions) { self.options = options }

    /// Writes the signature lines of every record of `inputs` (stdin when empty) to `output` and
    /// returns how many documents were read.
    public func run(inputs: [String], output: OutputFile, policy: ErrorPolicy, rejectsPath: String?) throws -> Int {
        let o = options
        let writer = DedupSignatureWriter(output: output, lsh: o.resolvedLSH)
        var pipe = MinHashPipeline(ngram: o.ngram, numPerm: o.numPerm, seed: o.seed)
        var sig = [UInt32](repeating: 0, count: o.numPerm)
        var text: [UInt8] = []
        let fieldName: String? = { if case .field(let f) = o.keep { return f }; return nil }()
        let records = try StageInput(paths: inputs, policy: policy, rejectsPath: rejectsPath)
        try records.forEach { path, line, json in
            try StageText.text(of: json, field: o.textField, into: &text)
            text.withUnsafeBufferPointer { t in sig.withUnsafeMutableBufferPointer { pipe.signature(of: t, into: $0) } }
            let score = fieldName.flatMap { StageText.number(of: json, field: $0) } ?? -.infinity
            try sig.withUnsafeBufferPointer {
                try writer.write(path: path, line: line, id: StageText.id(of: json, fallback: "\(path):\(line)"),
                                 length: text.count, score: score, signature: $0)
            }
        }
        try records.finish(command: "dedup signatures")
        try writer.close()
        return records.records
    }
}

extension DedupOptions {
    /// `dedup --dry-run`: the memory the index would take for `inputBytes` of documents averaging
    /// `averageDocumentBytes`, and whether it fits `memoryBudget`.
    public func memoryEstimate(inputBytes: Int, inputSize: String, averageDocumentBytes: Int) -> String {
        let docs = max(1, inputBytes / max(1, averageDocumentBytes))
        let per = bytesPerDocument
        let budget = memoryBudget.map {
            Double(docs * per) > Double($0) ? "; over --memory-budget: the index would spill to disk" : "; within --memory-budget"
        }
        return "dedup --dry-run: \(mode.rawValue) mode holds ~\(per) bytes per document; "
            + "\(docs) documents of \(averageDocumentBytes) bytes (\(inputSize)) need ~\(Progress.format(Double(docs * per) / 1e6, 1)) MB"
            + (budget ?? "")
    }
}
