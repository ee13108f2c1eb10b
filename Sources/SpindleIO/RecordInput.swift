/// What to do with a line that cannot be read as a record (`--on-error`).
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad line with a non-zero exit (the default: nothing is lost silently).
    case fail
    /// Skip bad lines, count them per reason on stderr, and keep them in `--rejects` if given.
    case skip
}

/// Streams JSONL records from several files (or stdin) in order, one line at a time in constant
/// memory, applying the error policy. Every error carries `FILE:LINE` and the field.
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
    /// Where the line being handled comes from (for ids derived from position and for messages).
    public private(set) var currentFile = ""
    public private(set) var currentLine = 0
    /// Index in `paths` of the input being read.
    public private(set) var currentInput = 0

    /// `paths` empty means stdin. `rejectsPath` receives every skipped line verbatim.
    public init(paths: [String], policy: ErrorPolicy = .fail, rejectsPath: String? = nil,
                progressLabel: String? = nil, forceProgress: Bool = false) throws {
        self.paths = paths.isEmpty ? [nil] : paths.map { $0 == "-" ? nil : $0 }
        self.policy = policy
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
            var previous = 0
            while let line = try reader.next() {
                bytesRead += reader.bytesConsumed - previous
                previous = reader.bytesConsumed
                currentLine = line.number
                if line.bytes.isEmpty || line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
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
