// The record loop the cleaning stages share, over SpindleIO's RecordInput: files in a canonical order,
// one JSONL record at a time in constant memory, each with its file and line, the error policy applied.

import SpindleIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SpindleIO's `RecordInput` in the form the cleaning stages use: files optionally in canonical
/// order, and each record handed over with the input path as given and its line number.
public final class StageInput {
    /// Inputs as given ("-" for stdin), in reading order.
    public let paths: [String]
    private let input: RecordInput

    /// `paths` empty means stdin. With `canonicalOrder`, files are read sorted by path, so a set of
    /// files gives the same result whatever order they are listed in.
    public init(paths: [String], canonicalOrder: Bool = true, policy: ErrorPolicy = .fail, rejectsPath: String? = nil,
                progressLabel: String? = nil, forceProgress: Bool = false) throws {
        let p = paths.isEmpty ? ["-"] : paths
        self.paths = canonicalOrder ? p.sorted() : p
        input = try RecordInput(paths: self.paths, policy: policy, rejectsPath: rejectsPath,
                                progressLabel: progressLabel, forceProgress: forceProgress)
    }

    /// Calls `body(path, line, record)` for each valid record. An `InputError` thrown by `body` is
    /// located and handled by the policy like a parse error. A spool of standard input is named "-",
    /// as stdin itself is: ids derived from the position are the same whether a stage spooled or not.
    public func forEach(_ body: (String, Int, JSONLine) throws -> Void) throws {
        let names = paths.map { StageSpool.isSpool($0) ? "-" : $0 }
        try input.forEachLine { json in try body(names[input.currentInput], input.currentLine, json) }
    }

    /// Valid records read so far, and lines skipped by the policy.
    public var records: Int { input.records }
    public var skippedTotal: Int { input.skippedTotal }

    /// Commits the rejects file and reports skipped lines per reason on stderr.
    public func finish(command: String) throws { try input.finish(command: command) }
}

/// Standard input copied to a temporary file, for stages that read their input twice.
public final class StageSpool {
    public let path: String
    /// Paths of the spools alive in this process (StageInput names their records "-").
    private static let live = Mutex<Set<String>>([])
    static func isSpool(_ path: String) -> Bool { live.withLock { $0.contains(path) } }

    public init(from input: String?) throws {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        path = "\(dir)/spindle-spool-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).jsonl"
        Self.live.withLock { _ = $0.insert(path) }
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
    deinit {
        unlink(path)
        Self.live.withLock { _ = $0.remove(path) }
    }
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
