import SpindleIO

/// Reduces MediaWiki wikitext to plain text: the words a reader sees, without markup.
///
/// Dropped whole: comments, `<ref>` footnotes, templates `{{…}}` (nested), tables `{|…|}`, file,
/// image and category links, interlanguage links, magic words, and the content of `<math>`,
/// `<gallery>` and similar tags. Kept as text: link labels (`[[a|b]]` → `b`, `[[a]]` → `a`),
/// external-link labels, headings (as their own line), list items (markers removed), emphasis
/// (quotes removed). HTML entities are decoded. All markup is ASCII, so the work is on UTF-8 bytes.
public enum WikitextCleaner {
    public static func plainText(_ wikitext: String) -> String {
        var s = wikitext
        return s.withUTF8 { String(decoding: plainText(utf8: $0), as: UTF8.self) }
    }

    public static func plainText(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let structural = removeBlocks(input)
        let inline = structural.withUnsafeBufferPointer { renderInline($0) }
        return inline.withUnsafeBufferPointer { tidyLines($0) }
    }

    /// Tags whose whole content is dropped.
    static let droppedTags: [String] = ["ref", "math", "gallery", "timeline", "imagemap", "score", "graph",
                                        "references", "chem", "hiero", "mapframe", "templatedata"]

    // MARK: Pass 1 — comments, references, templates, tables, dropped tags

    static func removeBlocks(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        let n = s.count
        var i = 0
        var templateDepth = 0
        var tableDepth = 0
        var atLineStart = true
        while i < n {
            let c = s[i]
            // Comments end anywhere, even inside templates.
            if c == UInt8(ascii: "<"), matches(s, i, "<!--") {
                i = find(s, i + 4, "-->").map { $0 + 3 } ?? n
                continue
            }
            if c == UInt8(ascii: "{"), i + 1 < n, s[i + 1] == UInt8(ascii: "{") {
                templateDepth += 1; i += 2; atLineStart = false; continue
            }
            if templateDepth > 0, c == UInt8(ascii: "}"), i + 1 < n, s[i + 1] == UInt8(ascii: "}") {
                templateDepth -= 1; i += 2; continue
            }
            if atLineStart, c == UInt8(ascii: "{"), i + 1 < n, s[i + 1] == UInt8(ascii: "|") {
                tableDepth += 1; i += 2; atLineStart = false; continue
            }
            if tableDepth > 0, atLineStart || isSpaceRun(s, lineStartBefore: i), c == UInt8(ascii: "|"),
               i + 1 < n, s[i + 1] == UInt8(ascii: "}") {
                tableDepth -= 1; i += 2; atLineStart = false; continue
            }
            if c == UInt8(ascii: "<"), let end = droppedTagEnd(s, i) {
                i = end
                continue
            }
            if c == 0x0A { atLineStart = true } else if c != 0x20 && c != 0x09 { atLineStart = false }
            if templateDepth == 0 && tableDepth == 0 { out.append(c) }
            i += 1
        }
        return out
    }

    /// If a dropped tag opens at `i` (`<ref …>…</ref>` or self-closing `<ref … />`), where it ends.
    static func droppedTagEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        for tag in droppedTags where matchesTagName(s, i + 1, tag) {
            guard let close = find(s, i, ">") else { return s.count }
            if s[close - 1] == UInt8(ascii: "/") { return close + 1 }
            // Find the closing tag, case-insensitively.
            var j = close + 1
            while let lt = find(s, j, "</") {
                if matchesTagName(s, lt + 2, tag) { return (find(s, lt, ">") ?? s.count - 1) + 1 }
                j = lt + 2
            }
            return s.count
        }
        return nil
    }

    static func matchesTagName(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ name: String) -> Bool {
        var k = i
        for ch in name.utf8 {
            guard k < s.count, s[k] | 0x20 == ch else { return false }
            k += 1
        }
        guard k < s.count else { return true }
        let next = s[k]
        return next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/") || next == 0x0A || next == 0x09
    }

    static func isSpaceRun(_ s: UnsafeBufferPointer<UInt8>, lineStartBefore i: Int) -> Bool {
        var k = i - 1
        while k >= 0 && (s[k] == 0x20 || s[k] == 0x09) { k -= 1 }
        return k < 0 || s[k] == 0x0A
    }

    // MARK: Pass 2 — links, external links, emphasis, remaining tags, entities

    static let droppedNamespaces: Set<String> = ["file", "image", "category", "media", "wikipedia", "wp", "template",
                                                 "help", "portal", "special", "user", "talk", "wikt", "wiktionary"]

    static func renderInline(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        renderInline(s, 0, s.count, into: &out)
        return out
    }

    static func renderInline(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into out: inout [UInt8]) {
        var i = from
        while i < to {
            let c = s[i]
            if c == UInt8(ascii: "["), i + 1 < to, s[i + 1] == UInt8(ascii: "[") {
                let close = matchingLinkEnd(s, i, to)
                renderLink(s, i + 2, close, into: &out)
                i = min(close + 2, to)
                continue
            }
            if c == UInt8(ascii: "["), isExternalLinkStart(s, i + 1, to) {
                if let close = find(s, i, "]"), close < to, !containsNewline(s, i, close) {
                    if let space = (i + 1..<close).first(where: { s[$0] == 0x20 }) {
                        renderInline(s, space + 1, close, into: &out)
                    }
                    i = close + 1
                    continue
                }
            }
            if c == UInt8(ascii: "'"), i + 1 < to, s[i + 1] == UInt8(ascii: "'") {
                while i < to && s[i] == UInt8(ascii: "'") { i += 1 }
                continue
            }
            if c == UInt8(ascii: "<"), let end = tagEnd(s, i, to) {
                // <br> becomes a line break; other tags vanish but their text stays.
                if matchesTagName(s, i + 1, "br") { out.append(0x0A) }
                i = end
                continue
            }
            if c == UInt8(ascii: "&"), let (scalar, len) = entity(s, i, to) {
                JSONString.appendScalar(scalar, to: &out)
                i += len
                continue
            }
            if c == UInt8(ascii: "_"), matches(s, i, "__"), let end = magicWordEnd(s, i, to) {
                i = end
                continue
            }
            out.append(c)
            i += 1
        }
    }

    static func matchingLinkEnd(_ s: UnsafeBufferPointer<UInt8>, _ open: Int, _ to: Int) -> Int {
        var depth = 0
        var k = open
        while k + 1 < to {
            if s[k] == UInt8(ascii: "["), s[k + 1] == UInt8(ascii: "[") { depth += 1; k += 2; continue }
            if s[k] == UInt8(ascii: "]"), s[k + 1] == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return k }
                k += 2
                continue
            }
            k += 1
        }
        return to
    }

    static func renderLink(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into out: inout [UInt8]) {
        guard from < to else { return }
        // Namespace prefix: "File:", "Category:", or an interlanguage code such as "de:".
        var k = from
        while k < to && s[k] != UInt8(ascii: ":") && s[k] != UInt8(ascii: "|") && s[k] != UInt8(ascii: "[") { k += 1 }
        if k < to && s[k] == UInt8(ascii: ":") && k > from {
            let prefix = String(decoding: UnsafeBufferPointer(rebasing: s[from..<k]), as: UTF8.self).lowercased()
            let isLanguage = prefix.count <= 3 && prefix.allSatisfy { $0 >= "a" && $0 <= "z" }
            if droppedNamespaces.contains(prefix) || isLanguage { return }
        }
        // The label is after the last top-level '|'.
        var depth = 0
        var lastBar: Int?
        var j = from
        while j < to {
            if j + 1 < to && s[j] == UInt8(ascii: "["), s[j + 1] == UInt8(ascii: "[") { depth += 1; j += 2; continue }
            if j + 1 < to && s[j] == UInt8(ascii: "]"), s[j + 1] == UInt8(ascii: "]") { depth -= 1; j += 2; continue }
            if depth == 0 && s[j] == UInt8(ascii: "|") { lastBar = j }
            j += 1
        }
        if let bar = lastBar {
            renderInline(s, bar + 1, to, into: &out)
        } else {
            // A leading ':' (a link to a category page rather than a categorisation) is not shown.
            let start = s[from] == UInt8(ascii: ":") ? from + 1 : from
            let hash = (start..<to).first { s[$0] == UInt8(ascii: "#") } ?? to
            renderInline(s, start, hash == start ? to : hash, into: &out)
        }
    }

    static func isExternalLinkStart(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Bool {
        matches(s, i, "http://") || matches(s, i, "https://") || matches(s, i, "//") || matches(s, i, "ftp://")
    }

    static func containsNewline(_ s: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
        (a..<b).contains { s[$0] == 0x0A }
    }

    /// An HTML-like tag at `i`: `<name …>` or `</name>`; returns the index after '>'.
    static func tagEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        guard i + 1 < to else { return nil }
        var k = i + 1
        if s[k] == UInt8(ascii: "/") { k += 1 }
        guard k < to, (s[k] | 0x20) >= UInt8(ascii: "a"), (s[k] | 0x20) <= UInt8(ascii: "z") else { return nil }
        var j = k
        while j < to && s[j] != UInt8(ascii: ">") && s[j] != 0x0A && s[j] != UInt8(ascii: "<") { j += 1 }
        guard j < to, s[j] == UInt8(ascii: ">") else { return nil }
        return j + 1
    }

    static func magicWordEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> Int? {
        var k = i + 2
        while k < to && s[k] >= UInt8(ascii: "A") && s[k] <= UInt8(ascii: "Z") { k += 1 }
        guard k > i + 2, k + 1 < to, s[k] == UInt8(ascii: "_"), s[k + 1] == UInt8(ascii: "_") else { return nil }
        return k + 2
    }

    static let namedEntities: [String: UInt32] = [
        "nbsp": 0x20, "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "ndash": 0x2013,
        "mdash": 0x2014, "minus": 0x2212, "times": 0xD7, "hellip": 0x2026, "deg": 0xB0, "thinsp": 0x20,
        "lsquo": 0x2018, "rsquo": 0x2019, "ldquo": 0x201C, "rdquo": 0x201D, "middot": 0xB7, "copy": 0xA9,
        "eacute": 0xE9, "frac12": 0xBD, "pound": 0xA3, "euro": 0x20AC, "shy": 0xAD, "zwj": 0x200D,
    ]

    /// An entity at `i` (`&name;`, `&#123;`, `&#x1F;`): its scalar and length.
    static func entity(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ to: Int) -> (UInt32, Int)? {
        var k = i + 1
        while k < to && k - i <= 10 && s[k] != UInt8(ascii: ";") && s[k] != 0x20 { k += 1 }
        guard k < to, s[k] == UInt8(ascii: ";"), k > i + 1 else { return nil }
        let body = String(decoding: UnsafeBufferPointer(rebasing: s[(i + 1)..<k]), as: UTF8.self)
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let v = value, v > 0, v < 0x110000, !(0xD800..<0xE000).contains(v) else { return nil }
            return (v, k - i + 1)
        }
        guard let v = namedEntities[body] else { return nil }
        return (v, k - i + 1)
    }

    // MARK: Pass 3 — headings, list markers, blank lines

    static func tidyLines(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var blank = 0
        var start = 0
        while start <= s.count {
            var end = start
            while end < s.count && s[end] != 0x0A { end += 1 }
            var a = start, b = end
            while a < b && (s[a] == 0x20 || s[a] == 0x09) { a += 1 }
            while b > a && (s[b - 1] == 0x20 || s[b - 1] == 0x09 || s[b - 1] == 0x0D) { b -= 1 }
            // Headings: "== Title ==".
            if b - a >= 2 && s[a] == UInt8(ascii: "=") && s[b - 1] == UInt8(ascii: "=") {
                while a < b && s[a] == UInt8(ascii: "=") { a += 1 }
                while b > a && s[b - 1] == UInt8(ascii: "=") { b -= 1 }
                while a < b && s[a] == 0x20 { a += 1 }
                while b > a && s[b - 1] == 0x20 { b -= 1 }
            } else {
                // List and indentation markers.
                while a < b && (s[a] == UInt8(ascii: "*") || s[a] == UInt8(ascii: "#") || s[a] == UInt8(ascii: ":")
                                || s[a] == UInt8(ascii: ";")) { a += 1 }
                while a < b && s[a] == 0x20 { a += 1 }
                // Horizontal rules and leftover table/template debris.
                if b - a >= 4 && (a..<b).allSatisfy({ s[$0] == UInt8(ascii: "-") }) { b = a }
            }
            if a == b {
                blank += 1
            } else {
                if !out.isEmpty { out.append(contentsOf: blank > 0 ? [0x0A, 0x0A] : [0x0A]) }
                // Removed templates leave doubled spaces and orphaned " ," behind.
                for k in a..<b {
                    let c = s[k]
                    if c == 0x20, k + 1 < b, s[k + 1] == 0x20 || s[k + 1] == UInt8(ascii: ",") || s[k + 1] == UInt8(ascii: ".") { continue }
                    out.append(c)
                }
                blank = 0
            }
            start = end + 1
        }
        return out
    }

    // MARK: Byte helpers

    static func matches(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ literal: StaticString) -> Bool {
        let len = literal.utf8CodeUnitCount
        guard i + len <= s.count else { return false }
        let p = literal.utf8Start
        for k in 0..<len where s[i + k] != p[k] { return false }
        return true
    }

    static func find(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ literal: StaticString) -> Int? {
        let len = literal.utf8CodeUnitCount
        let first = literal.utf8Start[0]
        var i = from
        while i + len <= s.count {
            if s[i] == first && matches(s, i, literal) { return i }
            i += 1
        }
        return nil
    }
}
