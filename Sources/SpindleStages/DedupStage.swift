// `spindle dedup`: exact document dedup (streaming), CCNet line/paragraph dedup (streaming) and MinHash
// near-duplicate clusters (two passes over the input: signatures, then the kept lines).

import SpindleIO

/// Configuration of the dedup stage.
public struct DedupOptions: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case exact, near, lines, paragraphs }
    public var mode: Mode = .exact
    /// Hash normalised text (case, punctuation, whitespace, look-alikes) rather than raw bytes.
    public var normalize = true
    public var threshold = 0.8
    public var ngram = 5
    public var numPerm = 128
    public var seed: UInt64 = 1
    /// Bands x rows; nil chooses them from the threshold.
    public var lsh: LSHParameters? = nil
    public var verify: VerifyMode = .hybrid
    /// Hybrid verification: pairs whose estimate is within this many standard errors of the threshold
    /// are verified exactly (DedupVerify.swift).
    public var sigmas = PairVerifier.defaultSigmas
    public var keep: KeepRule = .first
    /// Near mode: which verified near-duplicates survive (DedupSelection.swift).
    public var select: SelectMode = .greedy
    /// Lines/paragraphs mode: keep a document when at least this fraction of its bytes remains.
    public var minRemaining = 0.0
    public var textField = "text"
    public var policy: ErrorPolicy = .fail
    public var rejectsPath: String? = nil
    public var progress = false
    /// Spill the near-duplicate index to disk (three-phase path) once it would exceed this many bytes.
    public var memoryBudget: Int? = nil
    public var maxComparisons = 64
    /// Estimated verification accepts est >= threshold + this margin.
    public var estimateMargin = NearDupIndex.defaultEstimateMargin

    public init() {}

    public var resolvedLSH: LSHParameters { lsh ?? LSHParameters.optimal(threshold: threshold, numPerm: numPerm) }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("mode", .string(mode.rawValue)), ("normalize", .bool(normalize)), ("keep", .string(keep.name)),
            ("text_field", .string(textField)),
        ]
        if mode == .near {
            let l = resolvedLSH
            m += [("threshold", JSONValue(threshold)), ("ngram", JSONValue(ngram)), ("num_perm", JSONValue(numPerm)),
                  ("seed", .number(String(seed))), ("bands", JSONValue(l.bands)), ("rows", JSONValue(l.rows)),
                  ("verify", .string(verify.rawValue)), ("select", .string(select.rawValue)), ("estimate_margin", JSONValue(estimateMargin)),
                  ("exact_band_sigmas", JSONValue(sigmas)),
                  ("max_comparisons", JSONValue(maxComparisons))]
            if let b = memoryBudget { m.append(("memory_budget", JSONValue(b))) }
        }
        if mode == .lines || mode == .paragraphs { m.append(("min_remaining", JSONValue(minRemaining))) }
        return .object(m)
    }

    /// Estimated bytes held per document (near mode), excluding exact-mode shingle sets.
    public var bytesPerDocument: Int {
        switch mode {
        case .near: NearDupIndex.bytesPerDocument(numPerm: numPerm, bands: resolvedLSH.bands) + 48  // + id
        case .exact: ExactDeduplicator.bytesPerDocument + 48
        case .lines, .paragraphs: 40  // per distinct unit
        }
    }
}

/// One removed document for the report.
public struct DedupRemoved: Sendable, Equatable {
    public var id: String
    public var duplicateOf: String
    public var similarity: Double
    /// Near mode: `similarity` is the exact shingle Jaccard (else the MinHash estimate).
    public var exact = false
}

/// What a dedup run did.
public struct DedupReport: Sendable {
    public var options: DedupOptions
    public var inputs: [String] = []
    public var documentsIn = 0
    public var documentsOut = 0
    public var bytesIn = 0
    public var bytesOut = 0
    public var removed: [DedupRemoved] = []
    public var unitsRemoved = 0
    public var unitBytesRemoved = 0
    public var documentsEmptied = 0
    public var comparisons = 0
    public var edges = 0
    /// Near mode: candidate pairs verified by exact Jaccard and the documents read again for them.
    public var exactPairs = 0
    public var exactDocuments = 0
    public var spilled = false
    public var seconds = 0.0
    public var peakRSS = 0
    public var skipped = 0

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("stage", .string("dedup")), ("config", options.json), ("inputs", .array(inputs.map { .string($0) })),
            ("documents_in", JSONValue(documentsIn)), ("documents_out", JSONValue(documentsOut)),
            ("documents_removed", JSONValue(documentsIn - documentsOut)), ("lines_skipped", JSONValue(skipped)),
            ("bytes_in", JSONValue(bytesIn)), ("bytes_out", JSONValue(bytesOut)),
            ("seconds", JSONValue(seconds)), ("mb_per_s", JSONValue(seconds > 0 ? Double(bytesIn) / 1e6 / seconds : 0)),
            ("peak_rss_bytes", JSONValue(peakRSS)), ("memory_bytes_per_document", JSONValue(options.bytesPerDocument)),
        ]
        if options.mode == .near {
            let l = options.resolvedLSH
            let (fp, fn) = l.errorAreas(threshold: options.threshold)
            m += [("lsh", .object([
                ("bands", JSONValue(l.bands)), ("rows", JSONValue(l.rows)), ("knee", JSONValue(l.knee)),
                ("p_candidate_at_threshold", JSONValue(l.candidateProbability(options.threshold))),
                ("false_positive_area", JSONValue(fp)), ("false_negative_area", JSONValue(fn)),
            ])), ("comparisons", JSONValue(comparisons)), ("verified_edges", JSONValue(edges)),
                  ("exact_pairs", JSONValue(exactPairs)), ("exact_documents", JSONValue(exactDocuments)),
                  ("spilled_to_disk", .bool(spilled))]
            let v = PairVerifier(mode: options.verify, threshold: options.threshold, numPerm: options.numPerm,
                                 margin: options.estimateMargin, sigmas: options.sigmas)
            if options.verify == .hybrid { m.append(("exact_band", .array([JSONValue(v.lower), JSONValue(v.upper)]))) }
        }
        if options.mode == .lines || options.mode == .paragraphs {
            m += [("units_removed", JSONValue(unitsRemoved)), ("unit_bytes_removed", JSONValue(unitBytesRemoved)),
                  ("documents_below_min_remaining", JSONValue(documentsEmptied))]
        }
        let near = options.mode == .near
        m.append(("removed", .array(removed.map {
            var r: [(String, JSONValue)] = [("id", .string($0.id)), ("duplicate_of", .string($0.duplicateOf)), ("similarity", JSONValue($0.similarity))]
            if near { r.append(("verified", .string($0.exact ? "exact" : "estimate"))) }
            return .object(r)
        })))
        return .object(m)
    }

    /// The one-line summary for stderr.
    public var summary: String {
        let mb = Double(bytesIn) / 1e6
        let rate = seconds > 0 ? mb / seconds : 0
        var s = "dedup (\(options.mode.rawValue)): \(documentsIn) documents in, \(documentsOut) out, \(documentsIn - documentsOut) removed"
        if options.mode == .lines || options.mode == .paragraphs { s += ", \(unitsRemoved) \(options.mode.rawValue) removed" }
        s += "; \(Progress.format(mb, 1)) MB in \(Progress.format(seconds, 2)) s (\(Progress.format(rate, 1)) MB/s)"
        if spilled { s += "; index spilled to disk" }
        return s
    }
}

/// The dedup stage.
public struct DedupStage {
    public let options: DedupOptions
    public init(options: DedupOptions) {
        var o = options
        if o.mode == .near && o.lsh == nil { o.lsh = o.resolvedLSH }  // chosen once (a few thousand pow calls)
        self.options = o
    }

    /// Runs over `inputs` (empty or "-" = stdin) writing kept records to `output`.
    public func run(inputs: [String], output: OutputFile) throws -> DedupReport {
        let start = Progress.now()
        var report = DedupReport(options: options)
        let paths = inputs.isEmpty ? ["-"] : inputs
        report.inputs = paths.sorted().map { $0 == "-" ? "<stdin>" : $0 }
        switch options.mode {
        case .exact where options.keep == .first: try exactStreaming(paths, output, &report)
        case .lines, .paragraphs: try units(paths, output, &report)
        case .exact, .near: try clustered(paths, output, &report)
        }
        report.seconds = Progress.now() - start
        report.peakRSS = peakResidentBytes()
        return report
    }

    func input(_ paths: [String], label: Bool = true) throws -> StageInput {
        try StageInput(paths: paths, policy: options.policy, rejectsPath: options.rejectsPath,
                       progressLabel: label ? "dedup" : nil, forceProgress: options.progress)
    }

    func exactStreaming(_ paths: [String], _ output: OutputFile, _ report: inout DedupReport) throws {
        let records = try input(paths)
        var dedup = ExactDeduplicator(normalize: options.normalize)
        var firstID: [Hash128: String] = [:]
        var text: [UInt8] = []
        var removed: [DedupRemoved] = []
        var docs = 0, out = 0, bytesIn = 0
        try records.forEach { path, line, json in
            let d: Hash128
            if options.normalize {
                // Normalise straight from the JSON string: no unescaped copy of the text.
                let (h, len) = try StageText.withRawString(json, field: options.textField) { dedup.digest(jsonBody: $0) }
                d = h
                bytesIn += len
            } else {
                try StageText.text(of: json, field: options.textField, into: &text)
                bytesIn += text.count
                d = text.withUnsafeBufferPointer { dedup.digest($0) }
            }
            docs += 1
            if let first = firstID[d] {
                removed.append(DedupRemoved(id: StageText.id(of: json, fallback: "\(path):\(line)"), duplicateOf: first, similarity: 1))
                return
            }
            firstID[d] = StageText.id(of: json, fallback: "\(path):\(line)")
            try output.write(json.bytes)
            try output.writeByte(0x0A)
            out += 1
        }
        try records.finish(command: "dedup")
        report.documentsIn = docs; report.documentsOut = out; report.removed = removed
        report.bytesIn = bytesIn; report.bytesOut = output.bytesWritten; report.skipped = records.skippedTotal
    }

    func units(_ paths: [String], _ output: OutputFile, _ report: inout DedupReport) throws {
        let records = try input(paths)
        var dedup = UnitDeduplicator(unit: options.mode == .lines ? .line : .paragraph)
        var text: [UInt8] = [], rebuilt: [UInt8] = []
        let sep = dedup.separator
        try records.forEach { path, line, json in
            try StageText.text(of: json, field: options.textField, into: &text)
            report.documentsIn += 1
            report.bytesIn += text.count
            let o = text.withUnsafeBufferPointer { dedup.process($0) }
            report.unitsRemoved += o.removedUnits
            report.unitBytesRemoved += o.removedBytes
            switch UnitRebuild.verdict(json, text: text, outcome: o, separator: sep, minRemaining: options.minRemaining,
                                       field: options.textField, rebuilt: &rebuilt) {
            case .unchanged:
                try output.write(json.bytes); try output.writeByte(0x0A)
                report.documentsOut += 1
            case .dropped(let remaining):
                report.documentsEmptied += 1
                report.removed.append(DedupRemoved(id: StageText.id(of: json, fallback: "\(path):\(line)"),
                                                   duplicateOf: "", similarity: 1 - remaining))
            case .rewritten(let bytes):
                try output.write(bytes)
                report.documentsOut += 1
            }
        }
        try records.finish(command: "dedup")
        report.bytesOut = output.bytesWritten; report.skipped = records.skippedTotal
    }

    /// Exact (with --keep longest|FIELD) and near modes: pass 1 builds clusters, pass 2 writes keepers.
    func clustered(_ paths: [String], _ output: OutputFile, _ report: inout DedupReport) throws {
        // Stdin is read twice, so it is spooled to a temporary file first.
        var spool: StageSpool? = nil
        var readPaths = paths
        if paths.contains("-") {
            guard paths.count == 1 else { throw InputError(.format, file: "-", "stdin cannot be combined with files here") }
            spool = try StageSpool(from: nil)
            readPaths = [spool!.path]
        }
        _ = spool
        let records = try input(readPaths)
        var ids: [String] = []
        var lengths: [Int] = [], scores: [Double] = []
        var text: [UInt8] = []
        var removals: [Removal] = []
        let fieldName: String? = { if case .field(let f) = options.keep { return f }; return nil }()
        var scored = 0   // documents with a numeric --keep FIELD

        if options.mode == .exact {
            var dedup = ExactDeduplicator(normalize: options.normalize)
            var digests: [Hash128] = []
            try records.forEach { path, line, json in
                try StageText.text(of: json, field: options.textField, into: &text)
                digests.append(text.withUnsafeBufferPointer { dedup.digest($0) })
                ids.append(StageText.id(of: json, fallback: "\(path):\(line)"))
                lengths.append(text.count)
                let score = fieldName.flatMap { StageText.number(of: json, field: $0) }
                if score != nil { scored += 1 }
                scores.append(score ?? -.infinity)
                report.bytesIn += text.count
            }
            var uf = UnionFind(count: digests.count)
            var first: [Hash128: Int] = [:]
            for (d, h) in digests.enumerated() { if let f = first[h] { uf.union(f, d) } else { first[h] = d } }
            removals = chooseKeepers(&uf, keep: options.keep, length: lengths, score: scores, edgeSimilarity: [:])
        } else {
            let near = try nearPass(records, readPaths: readPaths, fieldName: fieldName, &report)
            ids = near.ids; removals = near.removals; scored = near.scored
        }
        try records.finish(command: "dedup")
        report.documentsIn = ids.count
        report.skipped = records.skippedTotal
        report.removed = removals.map { DedupRemoved(id: ids[$0.doc], duplicateOf: ids[$0.keptDoc], similarity: $0.similarity, exact: $0.exact) }

        if let fieldName, scored == 0, !ids.isEmpty {
            // A misspelt field would otherwise keep documents by nothing, silently.
            throw InputError(.missingField, file: paths.first.map { $0 == "-" ? "<stdin>" : $0 } ?? "<stdin>", field: fieldName,
                             "--keep: none of the \(ids.count) documents has a numeric '\(fieldName)' field")
        }
        // Pass 2: write the keepers, reading the same records in the same order.
        var drop = [Bool](repeating: false, count: ids.count)
        for r in removals { drop[r.doc] = true }
        let again = try StageInput(paths: readPaths, policy: .skip)
        var d = 0
        try again.forEach { _, _, json in
            try StageText.requireString(json, field: options.textField)
            defer { d += 1 }
            if d < drop.count && drop[d] { return }
            try output.write(json.bytes); try output.writeByte(0x0A)
            report.documentsOut += 1
        }
        report.bytesOut = output.bytesWritten
    }
}
