// What the pii stage does with the spans: redact them, drop dense documents, or tag the spans.


/// The pii stage's action.
public enum PIIAction: String, Sendable, CaseIterable {
    /// Replace each span with its type's placeholder.
    case redact
    /// Drop documents whose PII density exceeds the threshold; pass the others through unchanged.
    case drop
    /// Leave the text unchanged and list the spans in a field.
    case tag
}

/// Placeholders per type, configurable (`--placeholder email=[EMAIL]`, `--placeholder-format "[{TYPE}]"`).
public struct PIIPlaceholders: Sendable {
    public var byType: [PIIType: String]

    public init(format: String? = nil, overrides: [PIIType: String] = [:]) {
        var m: [PIIType: String] = [:]
        for t in PIIType.allCases {
            if let f = format {
                let name = String(t.placeholder.dropFirst().dropLast())
                m[t] = f.split(separator: "{TYPE}", omittingEmptySubsequences: false).joined(separator: name)
            } else {
                m[t] = t.placeholder
            }
        }
        for (k, v) in overrides { m[k] = v }
        byType = m
    }

    public subscript(_ t: PIIType) -> String { byType[t] ?? t.placeholder }
}

/// Applies spans to text.
public enum PIIRedactor {
    /// The text with each span replaced by its placeholder (bytes outside spans are untouched).
    public static func redact(_ text: UnsafeBufferPointer<UInt8>, spans: [PIISpan], placeholders: PIIPlaceholders) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var pos = 0
        for s in spans {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[pos..<s.byteStart]))
            out.append(contentsOf: placeholders[s.type].utf8)
            pos = s.byteEnd
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[pos..<text.count]))
        return out
    }

    public static func redact(_ s: String, scanner: PIIScanner = PIIScanner(), placeholders: PIIPlaceholders = PIIPlaceholders()) -> String {
        var c = s
        return c.withUTF8 { u in String(decoding: redact(u, spans: scanner.scan(u), placeholders: placeholders), as: UTF8.self) }
    }

    /// PII spans per 1,000 unicode scalars of text.
    public static func density(spans: Int, scalars: Int) -> Double {
        scalars == 0 ? 0 : Double(spans) * 1000 / Double(scalars)
    }

    /// Number of unicode scalars in UTF-8 text.
    public static func scalarCount(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for b in p where b & 0xC0 != 0x80 { n += 1 }
        return n
    }
}
