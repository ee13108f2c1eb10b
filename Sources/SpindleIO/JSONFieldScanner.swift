#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONScanner {
    /// The index of the first member whose key repeats an earlier member's key, or nil.
    /// Keys are compared as bytes when neither is escaped, decoded otherwise; records have few
    /// members, so the pairwise look costs less than hashing (a set takes over past 16 members).
    static func firstDuplicate(_ members: [Member], in base: UnsafePointer<UInt8>) -> Int? {
        let m = members.count
        if m < 2 { return nil }
        func key(_ x: Member) -> [UInt8] {
            let body = UnsafeBufferPointer(start: base + Int(x.keyStart), count: Int(x.keyEnd - x.keyStart))
            guard x.keyEscaped else { return Array(body) }
            var out: [UInt8] = []
            JSONString.unescape(body, into: &out)
            return out
        }
        if m > 16 {
            var seen: Set<[UInt8]> = []
            for (j, x) in members.enumerated() where !seen.insert(key(x)).inserted { return j }
            return nil
        }
        for j in 1..<m {
            let b = members[j]
            let lb = b.keyEnd - b.keyStart
            for k in 0..<j {
                let a = members[k]
                if a.keyEscaped || b.keyEscaped {
                    if key(a) == key(b) { return j }
                } else if a.keyEnd - a.keyStart == lb,
                          memcmp(base + Int(a.keyStart), base + Int(b.keyStart), Int(lb)) == 0 {
                    return j
                }
            }
        }
        return nil
    }

    /// Validates one JSONL record in place (UTF-8, grammar, one object, no repeated key) and fills
    /// `members`: the checks `JSONLine` makes, without copying the line.
    static func scanRecord(_ line: UnsafeBufferPointer<UInt8>, into members: inout [Member]) throws(InputError) {
        if let bad = UTF8Validation.firstInvalid(line) {
            throw InputError(.invalidUTF8, file: "", "invalid UTF-8 at column \(bad + 1)")
        }
        do {
            try JSONScanner.scanObject(line, into: &members)
        } catch {
            throw InputError(.invalidJSON, file: "", "\(error.message) at column \(error.offset + 1)")
        }
        if let base = line.baseAddress, let d = firstDuplicate(members, in: base) {
            let x = members[d]
            var key: [UInt8] = []
            JSONString.unescape(UnsafeBufferPointer(start: base + Int(x.keyStart), count: Int(x.keyEnd - x.keyStart)), into: &key)
            throw InputError(.invalidJSON, file: "", field: String(decoding: key, as: UTF8.self),
                             "duplicate key at column \(Int(x.keyStart))")
        }
    }
}

/// Reads one string field out of JSONL records in a hot loop (`tokenizer encode --jsonl`, tokenizer
/// training on JSONL): the same checks as `JSONLine`, on the caller's buffer, with scratch reused
/// across lines. One scanner per thread.
public struct JSONFieldScanner {
    var members: [JSONScanner.Member] = []

    public init() { members.reserveCapacity(8) }

    /// Validates `line` as one JSONL record and appends the unescaped UTF-8 of its string field
    /// `key` to `out`; returns the offset of the object's closing `}` (for callers that append
    /// members to the record). Errors name the field or the column, as `JSONLine`'s do.
    @discardableResult
    public mutating func string(_ key: String, in line: UnsafeBufferPointer<UInt8>,
                                into out: inout [UInt8]) throws(InputError) -> Int {
        members.removeAll(keepingCapacity: true)
        try JSONScanner.scanRecord(line, into: &members)
        let base = line.baseAddress!   // a valid record is not empty
        var keyCopy = key
        let found = keyCopy.withUTF8 { k in
            members.first { m in
                let body = UnsafeBufferPointer(start: base + Int(m.keyStart), count: Int(m.keyEnd - m.keyStart))
                if m.keyEscaped {
                    var decoded: [UInt8] = []
                    JSONString.unescape(body, into: &decoded)
                    return decoded.elementsEqual(k)
                }
                return body.count == k.count && (k.count == 0 || memcmp(body.baseAddress!, k.baseAddress!, k.count) == 0)
            }
        }
        guard let m = found, m.kind != .null else {
            throw InputError(.missingField, file: "", field: key, "required string field is missing")
        }
        guard m.kind == .string else {
            throw InputError(.wrongType, file: "", field: key, "expected a string, found \(m.kind)")
        }
        let body = UnsafeBufferPointer(start: base + Int(m.valueStart) + 1, count: Int(m.valueEnd - m.valueStart) - 2)
        if m.valueEscaped { JSONString.unescape(body, into: &out) } else { out.append(contentsOf: body) }
        var end = line.count - 1
        while line[end] != UInt8(ascii: "}") { end -= 1 }   // only whitespace follows the object
        return end
    }
}

extension InputError {
    /// The error without its file and line (`field 'F': reason`), for callers that place it themselves.
    public var detail: String { (field.map { "field '\($0)': " } ?? "") + message }
}
