// The shard hashes streaming accepts in index.json; XXH64 and SHA-256 themselves live in SpindleIO.
import SpindleIO

/// The hash algorithms Spindle writes and checks (a subset of streaming's `get_hashes()`).
public enum ShardHash: String, CaseIterable, Sendable {
    case sha256, xxh64

    /// The hex digest streaming would record for `data`.
    public func hex(_ data: UnsafeRawBufferPointer) -> String {
        switch self {
        case .sha256: return SHA256.hex(data)
        case .xxh64: return XXH64.hex(data)
        }
    }
}
