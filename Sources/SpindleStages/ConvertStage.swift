import SpindleIO

extension Converter {
    /// Converts every record of `paths` (stdin when empty) to `output`. A file whose first byte is
    /// `[` is one JSON array of records; anything else is JSONL. Returns records written and skipped.
    public func run(paths: [String], output: OutputFile, policy: ErrorPolicy,
                    rejectsPath: String?) throws -> (records: Int, skipped: Int) {
        var count = 0, skipped = 0
        for path in paths.isEmpty ? ["-"] : paths {
            let bytes = try InputFile.readAll(path: path)
            let name = path == "-" ? "<stdin>" : path
            if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "[") {
                // A JSON array of records: the whole file is one value.
                let value: JSONValue
                do throws(JSONValue.ParseError) { value = try JSONValue.parse(bytes) } catch {
                    throw InputError(.invalidJSON, file: name, error.message)
                }
                for (i, item) in (value.arrayValue ?? []).enumerated() {
                    let line: [UInt8]
                    do throws(InputError) {
                        line = try convert(item, index: count + 1)
                    } catch {
                        let located = InputError(error.kind, file: name, field: "[\(i)]" + (error.field.map { ".\($0)" } ?? ""), error.message)
                        if policy == .fail { throw located }
                        skipped += 1
                        continue
                    }
                    try output.write(line)
                    count += 1
                }
            } else {
                let records = try RecordInput(paths: [path], policy: policy, rejectsPath: rejectsPath)
                try records.forEachLine { line in
                    let value = try JSONValue.parse(line.bytes)
                    try output.write(try convert(value, index: count + 1))
                    count += 1
                }
                try records.finish(command: "convert")
                skipped += records.skippedTotal
            }
        }
        return (count, skipped)
    }
}
