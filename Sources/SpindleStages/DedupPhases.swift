// DedupPhases.swift: the three phases of `spindle dedup signatures | clusters | apply` as whole runs,
// each returning its one-line summary (DedupMap, DedupClusterReducer and dedupApply do the work).
import SpindleIO

extension DedupMap {
    /// The map phase over `inputs` (stdin when empty) into `output`; returns the summary line.
    public func runPhase(inputs: [String], output: OutputFile, policy: ErrorPolicy, rejectsPath: String?) throws -> String {
        let n = try run(inputs: inputs, output: output, policy: policy, rejectsPath: rejectsPath)
        return "dedup signatures: \(n) documents, \(options.resolvedLSH.bands) band lines each"
    }
}

extension DedupClusterReducer {
    /// The reduce phase: every sorted signature file of `inputs` (stdin when empty), the removal list
    /// written to `output`; returns the summary line.
    public mutating func runPhase(inputs: [String], output: OutputFile) throws -> String {
        for f in (inputs.isEmpty ? ["-"] : inputs) { try consume(path: f) }
        let removals = try removals()
        try Self.write(removals, to: output)
        return "dedup clusters: \(lines) signature lines, \(comparisons) comparisons (\(exactPairs) verified exactly), \(removals.count) documents to remove"
    }
}

/// The apply phase: the removal list read from `removalsFile`, the records of `inputs` copied to
/// `output` except the removed ones; returns the summary line.
public func dedupApply(removalsFile: String, inputs: [String], output: OutputFile, policy: ErrorPolicy) throws -> String {
    let set = try DedupClusterReducer.readRemovals(removalsFile)
    let (kept, removed) = try dedupApply(removals: set, inputs: inputs, output: output, policy: policy)
    return "dedup apply: \(kept) kept, \(removed) removed"
}
