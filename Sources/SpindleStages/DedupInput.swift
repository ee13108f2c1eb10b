// The record loop the cleaning stages share: files in a canonical order, one JSONL record at a time in
// constant memory, each with its file and line, the error policy applied.

import SpindleIO
#if canImport(Glibc)
import Glibc
#endif

/// Streams records from several inputs with their location.
public final class StageInput {
    /// Inputs as given ("-" for stdin).
    public let paths: [String]
    public let policy: ErrorPolicy
    let rejects: OutputFile?
    public private(set) var skipped: [InputError.Kind: Int] = [:]
    public private(set) var firstSkipped: [InputError.Kind: InputError] = [:]
    public private(set) var records = 0
    public private(set) var bytesRead = 0
    public let progress: Progress?

    /// `paths` empty means stdin. With `canonicalOrder`, files are read sorted by path, so a set of
    /// files gives the same result whatever order they are listed in.
    public init(paths: [String], canonicalOrder: Bool = true, policy: ErrorPolicy = .fail, rejectsPath: String? = nil,
                progressLabel: String? = nil, forceProgress: Bool = false) throws {
        let p = paths.isEmpty ? ["-"] : paths
        self.paths = canonicalOrder ? p.sorted() : p
        self.policy = policy
        rejects = try rejectsPath.map { try OutputFile(path: $0) }
        progress = progressLabel.map { Progress(label: $0, force: forceProgress) }
    }

    /// Calls `body(path, line, record)` for each valid record. An `InputError` thrown by `body` is
    /// located and handled by the policy like a parse error.
    public func forEach(_ body: (String, Int, JSONLine) throws -> Void) throws {
        for path in paths {
            let reader = try LineReader(path: path == "-" ? nil : path)
            var previous = 0
            while let line = try reader.next() {
                bytesRead += reader.bytesConsumed - previous
                previous = reader.bytesConsumed
                if line.bytes.isEmpty || line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    let json = try JSONLine(line.bytes)
                    try body(path, line.number, json)
                    records += 1
                } catch let error as InputError {
                    let located = error.at(file: reader.name, line: line.number)
                    guard policy == .skip else { throw located }
                    skipped[error.kind, default: 0] += 1
                    if firstSkipped[error.kind] == nil { firstSkipped[error.kind] = located }
                    if let rejects { try rejects.write(line.bytes); try rejects.writeByte(0x0A) }
                }
                progress?.update(records: records, bytes: bytesRead)
            }
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

/// Standard input copied to a temporary file, for stages that read their input twice.
public final class StageSpool {
    public let path: String
    public init(from input: String?) throws {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        path = "\(dir)/spindle-spool-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).jsonl"
        let inp = try InputFile(path: input)
        let out = try OutputFile(path: path, compress: false)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try inp.read(into: $0) }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try out.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        try out.commit()
    }
    deinit { unlink(path) }
}

/// Peak resident memory of this process in bytes (VmHWM), 0 when unknown.
public func peakResidentBytes() -> Int {
    guard let f = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, f) != nil {
        let s = String(cString: line)
        if s.hasPrefix("VmHWM:") {
            let digits = s.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
    }
    return 0
}
