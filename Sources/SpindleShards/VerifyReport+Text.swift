extension VerifyReport {
    /// What `spindle shards verify` prints: each problem, then one `ok:` or `FAILED:` line.
    public func text(directory: String, kind: ShardKind?) -> String {
        var lines = problems.map { "problem: \($0)" }
        if problemCount > problems.count { lines.append("… and \(problemCount - problems.count) more") }
        let answers = kind == .sft
            ? ", \(answersChecked) answers checked against the loss mask"
              + (answersAmbiguous > 0 ? " (\(answersAmbiguous) examples spell [/INST] in their text: their answers must start after one of the candidates)" : "")
            : ""
        lines.append("\(ok ? "ok" : "FAILED"): \(directory): \(shards) shard file(s), \(samples) samples, \(problemCount) problem(s)\(answers)")
        return lines.joined(separator: "\n")
    }
}
