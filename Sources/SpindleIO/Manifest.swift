#if canImport(Glibc)
import Glibc
#endif

/// Provenance written beside everything a command makes — `manifest.json` in an output directory,
/// `NAME.manifest.json` beside an output file — so a user can always answer "what made this file?".
/// It holds the command, its inputs (path, size, SHA-256), the fully resolved configuration, the
/// seed and Spindle's version. No timestamps: the same run gives the same manifest.
public struct Manifest {
    public struct Input {
        public var path: String
        public var bytes: Int
        public var sha256: String
    }

    public var command: String
    public var inputs: [Input] = []
    public var config: JSONValue
    public var seed: UInt64?
    public var outputs: [String] = []

    public init(command: String, config: JSONValue, seed: UInt64? = nil) {
        self.command = command
        self.config = config
        self.seed = seed
    }

    /// Hashes an input file (raw bytes on disk, as `sha256sum` would). Stdin is recorded by name only.
    public mutating func addInput(_ path: String) throws {
        guard path != "-" else {
            inputs.append(Input(path: "<stdin>", bytes: 0, sha256: ""))
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError(path: path, operation: "open for hashing", errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw SystemError(path: path, operation: "read", errno: errno) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n]))
            total += n
        }
        inputs.append(Input(path: path, bytes: total, sha256: SHA256.hexString(hasher.finalize())))
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("spindle_version", .string(SpindleVersion.string)),
            ("command", .string(command)),
            ("inputs", .array(inputs.map {
                .object([("path", .string($0.path)), ("bytes", JSONValue($0.bytes)), ("sha256", .string($0.sha256))])
            })),
            ("config", config),
        ]
        if let seed { members.append(("seed", .number(String(seed)))) }
        if !outputs.isEmpty { members.append(("outputs", .array(outputs.map { .string($0) }))) }
        return .object(members)
    }

    /// Writes the manifest atomically to `path`.
    public func write(to path: String) throws {
        var bytes = Manifest.pretty(json)
        bytes.append(0x0A)
        try OutputFile.write(bytes, to: path)
    }

    /// Where the manifest of an output goes: inside a directory, or beside a file.
    public static func path(for output: String, isDirectory: Bool) -> String {
        isDirectory ? output + "/manifest.json" : output + ".manifest.json"
    }

    /// Indented JSON for files people read (`JSONLayout.indented`).
    public static func pretty(_ value: JSONValue) -> [UInt8] { value.bytes(.indented) }
}
