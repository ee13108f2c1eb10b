import SpindleIO

extension Converter {
    /// Converts every record of `paths` (stdin when empty) to `output`. An input whose first
    /// non-blank byte is `[` is one JSON array of records; anything else is JSONL. Each input is read
    /// once, front to back, so stdin (plain, zstd or gzip) converts exactly as the same file named
    /// as an argument. Bad records follow `policy`; skipped ones go to `rejectsPath`.
    /// Returns records written, and records skipped.
    public func run(paths: [String], output: OutputFile, policy: ErrorPolicy,
                    rejectsPath: String?) throws -> (records: Int, skipped: Int) {
        var count = 0
        let records = try RecordInput(paths: paths, policy: policy, rejectsPath: rejectsPath, jsonArrays: true)
        try records.forEachLine { line in
            let value: JSONValue
            do throws(JSONValue.ParseError) { value = try JSONValue.parse(line.bytes) } catch {
                throw InputError(.invalidJSON, file: "", error.message)
            }
            try output.write(try convert(value, index: count + 1))
            count += 1
        }
        try records.finish(command: "convert")
        return (count, records.skippedTotal)
    }
}
