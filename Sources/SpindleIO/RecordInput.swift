/// What to do with a line that cannot be read as a record (`--on-error`).
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad line with a non-zero exit (the default: nothing is lost silently).
    case fail
    /// Skip bad lines, count them per reason on stderr, and keep them in `--rejects` if given.
    case skip
}

/// Streams JSONL records from several files (or stdin) in order, one line at a time in constant
/// memory, applying the error policy. Every error carries `FILE:LINE` and the field.
///
/// Each input is opened once and read front to back, so standard input (plain, zstd or gzip) gives
/// exactly what the same bytes in a file give. With `jsonArrays`, an input whose first non-blank
/// byte is `[` is one JSON array of records instead (read whole; errors name the element, `[i]`).
public final class RecordInput {
    public let paths: [String?]
    public let policy: ErrorPolicy
    private let rejects: OutputFile?
    public private(set) var skipped: [InputError.Kind: Int] = [:]
    public private(set) var firstSkipped: [InputError.Kind: InputError] = [:]
    public private(set) var records = 0
    /// Decoded bytes read so far (line ends included), over all files.
    public private(set) var bytesRead = 0
    public let progress: Progress?
    /// Where the line being handled comes from (for ids derived from position and for messages); in
    /// a JSON array input, `currentLine` is the element's 1-based position.
    public private(set) var currentFile = ""
    public private(set) var currentLine = 0
    /// Index in `paths` of the input being read.
    public private(set) var currentInput = 0
    /// Whether an input starting with `[` is read as a JSON array of records.
    public let jsonArrays: Bool

    /// `paths` empty means stdin. `rejectsPath` receives every skipped line (or array element) verbatim.
    public init(paths: [String], policy: ErrorPolicy = .fail, rejectsPath: String? = nil,
                progressLabel: String? = nil, forceProgress: Bool = false, jsonArrays: Bool = false) throws {
        self.paths = paths.isEmpty ? [nil] : paths.map { $0 == "-" ? nil : $0 }
        self.policy = policy
        self.jsonArrays = jsonArrays
        try OutputTarget.checkDistinct(rejectsPath, option: "--rejects", from: paths)
        rejects = try rejectsPath.map { try OutputFile(path: $0) }
        progress = progressLabel.map { Progress(label: $0, force: forceProgress) }
    }

    /// Calls `body` with each valid line. `body` may throw an `InputError` about the record's
    /// content (a missing field, say): it is located and handled by the policy like a parse error.
    public func forEachLine(_ body: (JSONLine) throws -> Void) throws {
        for (index, path) in paths.enumerated() {
            let reader = try LineReader(path: path)
            currentFile = reader.name
            currentInput = index
            var previous = 0, first = true
            while let line = try reader.next() {
                bytesRead += reader.bytesConsumed - previous
                previous = reader.bytesConsumed
                currentLine = line.number
                if line.bytes.isEmpty || line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                if first {
                    first = false
                    if jsonArrays, line.bytes.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "[") {
                        try forEachElement(reader, startingWith: line, body)
                        break
                    }
                }
                do {
                    let json = try JSONLine(line.bytes)
                    try body(json)
                    records += 1
                } catch let error as InputError {
                    try reject(error.at(file: reader.name, line: line.number), line: line.bytes)
                }
                progress?.update(records: records, bytes: bytesRead)
            }
        }
    }

    /// The rest of `reader` (from `line` on) as one JSON array: each element is handed to `body` as a
    /// record in compact form; errors are placed at the element (`field '[i].name'`), and a skipped
    /// element goes to the rejects file as one line.
    private func forEachElement(_ reader: LineReader, startingWith line: LineReader.Line,
                                _ body: (JSONLine) throws -> Void) throws {
        var whole = Array(line.bytes)
        let startLine = line.number
        var previous = reader.bytesConsumed
        while let more = try reader.next() {
            whole.append(0x0A)
            whole.append(contentsOf: more.bytes)
            bytesRead += reader.bytesConsumed - previous
            previous = reader.bytesConsumed
        }
        let value: JSONValue
        do throws(JSONValue.ParseError) { value = try JSONValue.parse(whole) } catch {
            throw InputError(.invalidJSON, file: reader.name, line: startLine, "a JSON array of records: \(error.message) (byte \(error.offset))")
        }
        for (i, item) in (value.arrayValue ?? []).enumerated() {
            currentLine = i + 1
            let bytes = item.serialized
            do {
                try body(try JSONLine(bytes))
                records += 1
            } catch let error as InputError {
                var located = error.at(file: reader.name, line: nil)
                located.field = "[\(i)]" + (error.field.map { ".\($0)" } ?? "")
                try bytes.withUnsafeBufferPointer { try reject(located, line: $0) }
            }
            progress?.update(records: records, bytes: bytesRead)
        }
    }

    /// Reads each line as a record of type `R`.
    public func forEach<R: JSONRecord>(_ type: R.Type, _ body: (R) throws -> Void) throws {
        try forEachLine { json in try body(try R(json: json)) }
    }

    private func reject(_ error: InputError, line: UnsafeBufferPointer<UInt8>) throws {
        guard policy == .skip else { throw error }
        skipped[error.kind, default: 0] += 1
        if firstSkipped[error.kind] == nil { firstSkipped[error.kind] = error }
        if let rejects {
            try rejects.write(line)
            try rejects.writeByte(0x0A)
        }
    }

    public var skippedTotal: Int { skipped.values.reduce(0, +) }

    /// Commits the rejects file and reports skipped lines per reason on stderr.
    public func finish(command: String) throws {
        progress?.finish()
        try rejects?.commit()
        for kind in InputError.Kind.allCases {
            guard let n = skipped[kind], n > 0 else { continue }
            let example = firstSkipped[kind].map { " (first: \($0))" } ?? ""
            StandardError.line("\(command): skipped \(n) line\(n == 1 ? "" : "s"): \(kind.rawValue)\(example)")
        }
    }
}
