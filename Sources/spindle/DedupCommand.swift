import ArgumentParser
import SpindleIO
import SpindleStages

/// `spindle dedup`: exact and MinHash near-duplicate removal, one-shot or in three phases.
struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Remove duplicate documents: exact (default), line/paragraph (CCNet) or near-duplicate (MinHash).",
        discussion: """
        A unix filter: JSONL documents in (stdin or FILEs), the kept ones out in
        input order, a one-line summary on stderr, a JSON report with --report.
        Unknown fields pass through untouched.

          spindle dedup docs.jsonl > unique.jsonl       exact, normalised text
          spindle dedup --lines | spindle dedup --near  boilerplate, then copies

        --near removes a document only when a KEPT document is similar enough
        (verified >= --threshold); the report's duplicate_of names that document.
        --select greedy (default) keeps a small dominating set of each cluster,
        ties by --keep; --select first-seen keeps streaming semantics (removed
        only for an earlier kept document).

        --verify hybrid (default): a candidate pair whose MinHash estimate is
        at least threshold + 3 standard errors (sqrt(t(1-t)/num-perm); 0.906
        at 0.8 with 128 permutations) is a duplicate, one under threshold - 3
        standard errors (0.694) is not, and pairs in between are verified by
        exact 5-gram Jaccard after a second read of the input that computes
        shingle sets for those pairs' documents only. The report's similarity
        is then the exact Jaccard ("verified": "exact") or the estimate
        ("verified": "estimate"). --verify exact verifies every candidate
        pair exactly; --verify estimate decides every pair by its estimate
        (at threshold + --estimate-margin), reading the input once less.

        Several FILEs dedup against each other, read in sorted path order: the
        result does not depend on the order they are listed in.
        Beyond one machine, three phases keep exactly what --near keeps:
          spindle dedup signatures shard-*.jsonl > sig.tsv         (map)
          LC_ALL=C sort sig.tsv > sorted.tsv        (or Spark, Hadoop streaming)
          spindle dedup clusters sorted.tsv > removals.tsv         (reduce)
          spindle dedup apply --removals removals.tsv shard-*.jsonl > kept.jsonl
        When the shuffle hands each reducer part of the band keys (spindle-ray),
        each part runs `clusters --emit-edges` and one `dedup select` over all
        their edges writes the same removal list.
        `clusters` verifies the ambiguous pairs exactly by reading their
        documents from the PATHs named in the signature lines, so it runs
        where the inputs are readable, with the same --ngram and --text-field
        (signatures made from stdin need `clusters --verify estimate`, or
        the same --verify estimate in the one-shot run to match it).
        """,
        subcommands: [DedupRun.self, DedupSignatures.self, DedupClusters.self, DedupSelect.self, DedupApply.self,
                      DedupKeys.self, DedupRepeats.self],
        defaultSubcommand: DedupRun.self)
}

/// MinHash options shared by the one-shot run and the map phase.
struct MinHashOptions: ParsableArguments {
    @Option(help: "Near-duplicate Jaccard threshold (5-gram shingles of normalised text).")
    var threshold = 0.8
    @Option(help: "Words per shingle.")
    var ngram = 5
    @Option(name: .customLong("num-perm"), help: "MinHash permutations (a multiple of 8).")
    var numPerm = 128
    @Option(help: "LSH bands (default: chosen from --threshold; with --rows).")
    var bands: Int?
    @Option(help: "LSH rows per band (with --bands).")
    var rows: Int?
    @Option(help: "Seed of the MinHash permutations (same seed, same signatures).")
    var seed: UInt64 = 1
    @Option(help: "Which duplicate survives: first, longest, or a numeric FIELD (largest wins).")
    var keep = "first"
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @Option(name: .customLong("estimate-margin"), help: "Estimated verification accepts a pair at --threshold plus this margin (offsets estimate noise).")
    var estimateMargin = NearDupIndex.defaultEstimateMargin

    func validate() throws {
        guard threshold > 0 && threshold <= 1 else { throw ValidationError("--threshold must be in (0, 1]") }
        try Check.int("--ngram", ngram, min: 1, max: 64)
        guard numPerm >= 8 && numPerm <= 4096 && numPerm % 8 == 0 else { throw ValidationError("--num-perm must be a multiple of 8 in 8 … 4096") }
        try Check.real("--estimate-margin", estimateMargin, -1, 1)
        if (bands == nil) != (rows == nil) { throw ValidationError("give --bands and --rows together") }
        try Check.int("--bands", bands, min: 1, max: numPerm)
        try Check.int("--rows", rows, min: 1, max: numPerm)
        if let b = bands, let r = rows, b * r > numPerm {
            throw ValidationError("--bands x --rows must be at least 1 and at most --num-perm (\(numPerm))")
        }
    }

    func apply(to o: inout DedupOptions) {
        o.threshold = threshold; o.ngram = ngram; o.numPerm = numPerm; o.seed = seed
        o.keep = KeepRule(keep); o.textField = textField; o.estimateMargin = estimateMargin
        if let b = bands, let r = rows { o.lsh = LSHParameters(bands: b, rows: r) }
    }
}

struct DedupRun: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "One-shot dedup (the default when no phase is named).")

    @Flag(help: "Near-duplicate removal with MinHash LSH (after exact matching on normalised text).")
    var near = false
    @Flag(help: "CCNet: drop lines seen in earlier documents (digits, case, punctuation normalised).")
    var lines = false
    @Flag(help: "CCNet: drop paragraphs (blank-line separated) seen in earlier documents.")
    var paragraphs = false
    @Option(name: .customLong("min-remaining"), help: "--lines/--paragraphs: drop a document when less than this fraction of its bytes remains.")
    var minRemaining = 0.0
    @Flag(name: .customLong("no-normalize"), help: "Exact mode: hash raw bytes instead of normalised text.")
    var noNormalize = false
    @Option(help: "Near: which verified near-duplicates survive: greedy (a small dominating set of each cluster, ties by --keep) or first-seen (streaming: removed only when an earlier kept document is similar).")
    var select = "greedy"
    @Option(help: "Near: hybrid (estimate outside the ambiguous band around --threshold, exact Jaccard inside), exact (every candidate pair) or estimate (no second read).")
    var verify: String = "hybrid"
    @Option(name: .customLong("exact-band"), help: "Near, hybrid: half-width of the ambiguous band in standard errors of the estimate.")
    var exactBand = PairVerifier.defaultSigmas
    @Option(name: .customLong("memory-budget"), help: "Near: spill the index to disk (external sort) past this size, e.g. 2G.")
    var memoryBudget: String?
    @Flag(name: .customLong("dry-run"), help: "Print the LSH choice and the memory estimate for --input-size, then exit.")
    var dryRun = false
    @Option(name: .customLong("input-size"), help: "--dry-run: the input size to estimate for (e.g. 50G).")
    var inputSize = "1G"
    @Option(name: .customLong("avg-doc-bytes"), help: "--dry-run: average document size in bytes.")
    var avgDocBytes = 4000
    @Option(help: "Write a JSON report (counts, LSH odds, removed ids with the id each duplicates) to this file.")
    var report: String?

    @OptionGroup var minhash: MinHashOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions

    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func validate() throws {
        if [near, lines, paragraphs].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --near, --lines, --paragraphs (pipe two dedup runs to combine them)")
        }
        try checkVerify(verify, band: exactBand)
        try checkSelect(select, keep: minhash.keep)
        if let m = memoryBudget, ByteSize.parse(m) == nil { throw ValidationError("--memory-budget \(m): expected \(ByteSize.expected)") }
        if ByteSize.parse(inputSize) == nil { throw ValidationError("--input-size \(inputSize): expected \(ByteSize.expected)") }
        guard minRemaining >= 0 && minRemaining <= 1 else { throw ValidationError("--min-remaining must be in [0, 1]") }
    }

    var options: DedupOptions {
        var o = DedupOptions()
        o.mode = near ? .near : lines ? .lines : paragraphs ? .paragraphs : .exact
        o.normalize = !noNormalize
        minhash.apply(to: &o)
        o.verify = VerifyMode(rawValue: verify)!
        o.sigmas = exactBand
        o.select = SelectMode(rawValue: select)!
        o.minRemaining = minRemaining
        o.memoryBudget = memoryBudget.flatMap(ByteSize.parse)
        o.policy = input.onError
        o.rejectsPath = input.rejects
        o.progress = input.progress
        if o.mode == .near && o.lsh == nil { o.lsh = o.resolvedLSH }
        return o
    }

    var configJSON: JSONValue { options.json }

    func run() throws {
        let o = options
        if o.mode == .near { StandardError.line("dedup: " + o.resolvedLSH.describe(threshold: o.threshold)) }
        if dryRun {
            let size = ByteSize.parse(inputSize) ?? 0
            return StandardError.line(o.memoryEstimate(inputBytes: size, inputSize: inputSize, averageDocumentBytes: avgDocBytes))
        }
        try StageRun(command: "dedup", config: o.json, inputs: files, report: report, seed: o.mode == .near ? o.seed : nil,
                     allowEmpty: input.allowEmpty).run(out) { output in
            let r = try DedupStage(options: o).run(inputs: files, output: output)
            return StageOutcome(summary: r.summary, report: r.json, records: (r.documentsIn + r.skipped, r.documentsOut))
        }
    }
}

struct DedupSignatures: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "signatures",
        abstract: "Map phase: one line per document and LSH band (KEY, PATH, LINE, LENGTH, SCORE, ID, SIGNATURE).")

    @OptionGroup var minhash: MinHashOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input JSONL files (default: stdin, recorded as path \"-\").")
    var files: [String] = []

    func run() throws {
        var o = DedupOptions()
        minhash.apply(to: &o)
        try StageRun(command: "dedup signatures", config: configJSON, inputs: files, seed: o.seed).run(out) { output in
            StageOutcome(summary: try DedupMap(options: o).runPhase(inputs: files, output: output, policy: input.onError, rejectsPath: input.rejects))
        }
    }
}

struct DedupClusters: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "clusters",
        abstract: "Reduce phase: sorted signature lines in, removal list out (PATH, LINE, ID, KEPT_ID, SIMILARITY).")

    @Option(help: "Jaccard threshold (as in the one-shot run).")
    var threshold = 0.8
    @Option(help: "hybrid, exact or estimate (as in the one-shot run); hybrid and exact read the documents of ambiguous pairs again from the PATHs the signatures name.")
    var verify = "hybrid"
    @Option(name: .customLong("exact-band"), help: "Hybrid: half-width of the ambiguous band in standard errors of the estimate.")
    var exactBand = PairVerifier.defaultSigmas
    @Option(help: "Words per shingle for exact verification (the --ngram given to `signatures`).")
    var ngram = 5
    @Option(name: .customLong("text-field"), help: "The field holding the text, for exact verification (as given to `signatures`).")
    var textField = "text"
    @Option(help: "Which duplicate survives: first, longest, or the FIELD given to `signatures`.")
    var keep = "first"
    @Option(name: .customLong("estimate-margin"), help: "Accept a pair at --threshold plus this margin (as in the one-shot run).")
    var estimateMargin = NearDupIndex.defaultEstimateMargin
    @Option(help: "Which verified near-duplicates survive: greedy or first-seen (as in the one-shot run).")
    var select = "greedy"
    @Flag(name: .customLong("emit-edges"), help: "Write the verified edges of these buckets (for `dedup select`) instead of a removal list: for a shuffle that gives each reducer part of the band keys.")
    var emitEdges = false
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Signature files sorted by their first column (default: stdin).")
    var files: [String] = []

    func validate() throws {
        try checkSelect(select, keep: keep)
        try checkVerify(verify, band: exactBand)
        try Check.int("--ngram", ngram, min: 1, max: 64)
    }

    func run() throws {
        try StageRun(command: "dedup clusters", config: configJSON, inputs: files).run(out) { output in
            var reducer = DedupClusterReducer(threshold: threshold, keep: KeepRule(keep), select: SelectMode(rawValue: select)!)
            reducer.estimateMargin = estimateMargin
            reducer.verify = VerifyMode(rawValue: verify)!
            reducer.sigmas = exactBand
            reducer.ngram = ngram
            reducer.textField = textField
            if emitEdges { return StageOutcome(summary: try reducer.runEdgePhase(inputs: files, output: output)) }
            return StageOutcome(summary: try reducer.runPhase(inputs: files, output: output))
        }
    }
}

struct DedupSelect: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Reduce over edges: the edge files of `clusters --emit-edges` in, the removal list out (as `clusters` writes it).",
        discussion: """
        The kept set is chosen on the union of the edges exactly as `clusters` chooses it over all
        buckets at once; it holds the edges and their endpoints only.
          spindle dedup clusters --emit-edges part-0.sorted.tsv > part-0.edges
          spindle dedup select part-*.edges > removals.tsv
        """)

    @Option(help: "Which duplicate survives: first, longest, or the FIELD given to `signatures`.")
    var keep = "first"
    @Option(help: "Which verified near-duplicates survive: greedy or first-seen (as in the one-shot run).")
    var select = "greedy"
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Edge files written by `clusters --emit-edges` (default: stdin).")
    var files: [String] = []

    func validate() throws { try checkSelect(select, keep: keep) }

    func run() throws {
        try StageRun(command: "dedup select", config: configJSON, inputs: files).run(out) { output in
            // Edges are verified already: the threshold only labels the reducer.
            var reducer = DedupClusterReducer(threshold: 0, keep: KeepRule(keep), select: SelectMode(rawValue: select)!)
            return StageOutcome(summary: try reducer.runSelectPhase(inputs: files, output: output))
        }
    }
}

struct DedupApply: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Filter phase: copy the records of FILEs except those in the removal list.")

    @Option(help: "The removal list written by `dedup clusters`, `select` or `repeats`.")
    var removals: String
    @Flag(help: "The list names lines (`dedup repeats` over `keys --lines`): drop them from each document, as `dedup --lines` does.")
    var lines = false
    @Flag(help: "The list names paragraphs (`keys --paragraphs`), as `dedup --paragraphs`.")
    var paragraphs = false
    @Option(name: .customLong("min-remaining"), help: "--lines/--paragraphs: drop a document when less than this fraction of its bytes remains.")
    var minRemaining = 0.0
    @Option(name: .customLong("text-field"), help: "--lines/--paragraphs: the field holding the text.")
    var textField = "text"
    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "The same input files given to `signatures` (same paths).")
    var files: [String] = []

    func validate() throws {
        if lines && paragraphs { throw ValidationError("choose one of --lines, --paragraphs") }
        guard minRemaining >= 0 && minRemaining <= 1 else { throw ValidationError("--min-remaining must be in [0, 1]") }
    }

    func run() throws {
        try StageRun(command: "dedup apply", config: configJSON, inputs: [removals] + files, allowEmpty: input.allowEmpty).run(out) { output in
            if lines || paragraphs {
                let units = try DedupKeyReducer.readUnitRemovals(removals)
                let r = try dedupApplyUnits(removals: units, unit: lines ? .line : .paragraph, minRemaining: minRemaining,
                                            textField: textField, inputs: files, output: output, policy: input.onError)
                return StageOutcome(summary: "dedup apply: \(r.kept) kept, \(r.removed) removed, \(r.units) units removed",
                                    records: (r.kept + r.removed, r.kept))
            }
            let set = try DedupClusterReducer.readRemovals(removals)
            let (kept, removed) = try dedupApply(removals: set, inputs: files, output: output, policy: input.onError)
            return StageOutcome(summary: "dedup apply: \(kept) kept, \(removed) removed", records: (kept + removed, kept))
        }
    }
}

/// `--verify` names a mode and `--exact-band` is a width.
func checkVerify(_ verify: String, band: Double) throws {
    guard VerifyMode(rawValue: verify) != nil else {
        throw ValidationError("--verify must be \(VerifyMode.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    try Check.real("--exact-band", band, 0, 10)
}

/// `--select` names a mode, and first-seen (which keeps the earliest document by definition) takes no --keep rule.
func checkSelect(_ select: String, keep: String) throws {
    guard let mode = SelectMode(rawValue: select) else {
        throw ValidationError("--select must be \(SelectMode.allCases.map(\.rawValue).joined(separator: " or "))")
    }
    if mode == .firstSeen && keep != "first" {
        throw ValidationError("--select first-seen keeps the earliest document; --keep \(keep) needs --select greedy")
    }
}
