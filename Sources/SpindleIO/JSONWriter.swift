/// How `JSONValue.write(_:into:)` lays a value out. Every JSON file Spindle writes is one of these
/// layouts over a `JSONValue`; no JSON is assembled by string interpolation.
public struct JSONLayout: Sendable {
    /// Between members of an object written on one line: `","` or `", "`.
    public var memberSeparator: String
    /// Between a key and its value on one line: `":"` or `": "`.
    public var keySeparator: String
    /// Between elements of an array written on one line.
    public var elementSeparator: String
    /// Objects nested less deep than this are written one member per line, indented two spaces per
    /// level (0: everything on one line).
    public var expandedDepth: Int
    /// Inside the expanded depth, arrays that hold an object are also written one element per line.
    public var expandArraysOfObjects: Bool
    /// Keys in code-point order instead of member order (Python's `sort_keys=True`).
    public var sortKeys: Bool
    /// Everything outside printable ASCII escaped as `\uXXXX` (Python's `ensure_ascii=True`).
    public var asciiOnly: Bool

    public init(memberSeparator: String, keySeparator: String, elementSeparator: String, expandedDepth: Int,
                expandArraysOfObjects: Bool = false, sortKeys: Bool = false, asciiOnly: Bool = false) {
        self.memberSeparator = memberSeparator
        self.keySeparator = keySeparator
        self.elementSeparator = elementSeparator
        self.expandedDepth = expandedDepth
        self.expandArraysOfObjects = expandArraysOfObjects
        self.sortKeys = sortKeys
        self.asciiOnly = asciiOnly
    }

    /// Spindle's canonical form: one line, no spaces, members in order (JSONL records, safetensors headers).
    public static let compact = JSONLayout(memberSeparator: ",", keySeparator: ":", elementSeparator: ",", expandedDepth: 0)
    /// Reports and manifests: every object and every array of objects indented; other arrays compact.
    public static let indented = JSONLayout(memberSeparator: ",", keySeparator: ": ", elementSeparator: ",",
                                            expandedDepth: .max, expandArraysOfObjects: true)
    /// Small files people read (config.json, trainer_state.json): one top-level member per line,
    /// nested objects on that line with `", "` and `": "`.
    public static let memberPerLine = JSONLayout(memberSeparator: ", ", keySeparator: ": ", elementSeparator: ",", expandedDepth: 1)
    /// One line with `", "` and `": "` between members (metrics lines); arrays compact.
    public static let spaced = JSONLayout(memberSeparator: ", ", keySeparator: ": ", elementSeparator: ",", expandedDepth: 0)
    /// Python's `json.dumps(value, sort_keys=True)`: MosaicML streaming's index.json and shard headers.
    public static let python = JSONLayout(memberSeparator: ", ", keySeparator: ": ", elementSeparator: ", ",
                                          expandedDepth: 0, sortKeys: true, asciiOnly: true)
}

extension JSONValue {
    /// Appends the value in `layout` (no trailing newline).
    public func write(_ layout: JSONLayout, into out: inout [UInt8]) {
        var w = Writer(layout: layout)
        swap(&w.out, &out)
        w.emit(self, depth: 0)
        swap(&w.out, &out)
    }

    /// The value's bytes in `layout`.
    public func bytes(_ layout: JSONLayout) -> [UInt8] {
        var out: [UInt8] = []
        write(layout, into: &out)
        return out
    }

    /// The value's text in `layout`.
    public func text(_ layout: JSONLayout) -> String { String(decoding: bytes(layout), as: UTF8.self) }

    /// Appends the canonical compact form (`JSONLayout.compact`).
    public func serialize(into out: inout [UInt8]) { write(.compact, into: &out) }

    public var serialized: [UInt8] { bytes(.compact) }

    public var serializedString: String { text(.compact) }

    /// Python's `json.dumps(value, sort_keys=True)`, byte for byte (`JSONLayout.python`).
    public func pythonDumps() -> String { text(.python) }

    /// A file's text: `layout` plus a final newline.
    public func fileText(_ layout: JSONLayout) -> String { text(layout) + "\n" }
}

private struct Writer {
    let layout: JSONLayout
    var out: [UInt8] = []

    mutating func emit(_ v: JSONValue, depth: Int) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let s): out.append(contentsOf: s.utf8)
        case .string(let s): string(s)
        case .array(let items):
            let expandable = depth < layout.expandedDepth
            let expand = expandable && layout.expandArraysOfObjects
                && items.contains { if case .object = $0 { return true }; return false }
            if expandable && !expand && layout.expandArraysOfObjects {
                // An indented layout writes an array without objects compact, all the way down.
                var inner = Writer(layout: .compact)
                swap(&inner.out, &out)
                inner.emit(v, depth: 0)
                swap(&inner.out, &out)
                return
            }
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                separator(first: k == 0, expand: expand, depth: depth, inline: layout.elementSeparator)
                emit(item, depth: depth + 1)
            }
            close(UInt8(ascii: "]"), expand: expand && !items.isEmpty, depth: depth)
        case .object(var members):
            if layout.sortKeys { members.sort { JSONValue.codePointOrder($0.0, $1.0) } }
            let expand = depth < layout.expandedDepth
            out.append(UInt8(ascii: "{"))
            for (k, (key, item)) in members.enumerated() {
                separator(first: k == 0, expand: expand, depth: depth, inline: layout.memberSeparator)
                string(key)
                out.append(contentsOf: layout.keySeparator.utf8)
                emit(item, depth: depth + 1)
            }
            close(UInt8(ascii: "}"), expand: expand && !members.isEmpty, depth: depth)
        }
    }

    mutating func separator(first: Bool, expand: Bool, depth: Int, inline: String) {
        if expand {
            out.append(contentsOf: (first ? "\n" : ",\n").utf8)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * (depth + 1)))
        } else if !first {
            out.append(contentsOf: inline.utf8)
        }
    }

    mutating func close(_ bracket: UInt8, expand: Bool, depth: Int) {
        if expand {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
        }
        out.append(bracket)
    }

    mutating func string(_ s: String) {
        if layout.asciiOnly { JSONString.appendASCII(s, to: &out) } else { JSONString.append(s, to: &out) }
    }
}
