/// Writes one JSON object in Spindle's canonical form (no spaces, members in the order written),
/// straight into bytes: the fast path every stage's output goes through.
public struct JSONObjectWriter {
    public private(set) var bytes: [UInt8]
    private var count = 0

    public init(reserving capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ key: String) {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
        JSONString.append(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ key: String, _ value: String) {
        self.key(key)
        JSONString.append(value, to: &bytes)
    }

    public mutating func string(_ key: String, utf8 value: UnsafeBufferPointer<UInt8>) {
        self.key(key)
        JSONString.append(value, to: &bytes)
    }

    public mutating func int(_ key: String, _ value: Int) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func double(_ key: String, _ value: Double) {
        self.key(key)
        bytes.append(contentsOf: JSONValue.format(value).utf8)
    }

    public mutating func bool(_ key: String, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func value(_ key: String, _ value: JSONValue) {
        self.key(key)
        value.serialize(into: &bytes)
    }

    /// A value that is already JSON (a passed-through field).
    public mutating func raw<C: Collection>(_ key: String, _ json: C) where C.Element == UInt8 {
        self.key(key)
        bytes.append(contentsOf: json)
    }

    public mutating func fields(_ fields: [RawField]) {
        for f in fields { raw(f.key, f.rawValue) }
    }

    /// Closes the object and returns its bytes followed by a newline (one JSONL line).
    public mutating func finishLine() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(0x0A)
        return bytes
    }

    /// Closes the object and returns its bytes.
    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
