// PythonText.swift: the few Python string operations the harness's templates use, with Python's
// semantics (str.isspace, strip, capitalize, lower, len in code points), so prompts match byte for byte.
import Foundation

enum PythonText {
    /// Python's `str.isspace()` for one code point.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    static func strip(_ s: String) -> String { lstrip(rstrip(s)) }

    static func rstrip(_ s: String) -> String {
        let u = s.unicodeScalars
        var end = u.endIndex
        while end > u.startIndex, isSpace(u[u.index(before: end)]) { end = u.index(before: end) }
        return String(u[u.startIndex..<end])
    }

    static func lstrip(_ s: String) -> String {
        let u = s.unicodeScalars
        var start = u.startIndex
        while start < u.endIndex, isSpace(u[start]) { start = u.index(after: start) }
        return String(u[start...])
    }

    /// `str.capitalize()` (Python 3.8+): the first code point's full title-case mapping, the rest as
    /// `lower` maps them (Final_Sigma judged in the whole string, the first code point included).
    static func capitalize(_ s: String) -> String {
        let u = Array(s.unicodeScalars)
        guard let first = u.first else { return s }
        var out = String.UnicodeScalarView(first.properties.titlecaseMapping.unicodeScalars)
        for i in u.indices.dropFirst() { appendLower(u, i, to: &out) }
        return String(out)
    }

    /// `str.lower()`: every code point's full lower-case mapping (SpecialCasing's unconditional rows,
    /// `İ` → `i̇`), and the one conditional rule CPython applies: `Σ` (U+03A3) becomes `ς` (U+03C2) in
    /// Unicode's Final_Sigma context, else `σ`.
    static func lower(_ s: String) -> String {
        let u = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        for i in u.indices { appendLower(u, i, to: &out) }
        return String(out)
    }

    private static func appendLower(_ u: [Unicode.Scalar], _ i: Int, to out: inout String.UnicodeScalarView) {
        if u[i].value == 0x3A3 {
            out.append(isFinalSigma(u, i) ? "\u{3C2}" : "\u{3C3}")
        } else {
            out.append(contentsOf: u[i].properties.lowercaseMapping.unicodeScalars)
        }
    }

    /// Final_Sigma (Unicode 3.13, Table 3-17) as CPython's `handle_capital_sigma` tests it: before `i`,
    /// skipping case-ignorable code points, a cased one; after `i`, skipping case-ignorable code points,
    /// the end or a code point that is not cased. (A code point both cased and case-ignorable, such as
    /// U+0345, is skipped on either side.)
    static func isFinalSigma(_ u: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0, u[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, u[j].properties.isCased else { return false }
        j = i + 1
        while j < u.count, u[j].properties.isCaseIgnorable { j += 1 }
        return j == u.count || !u[j].properties.isCased
    }

    /// `len(s)` (code points).
    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// `len(re.split(r"\s+", s))`: maximal whitespace runs + 1.
    static func splitWordCount(_ s: String) -> Int {
        var runs = 0, inRun = false
        for u in s.unicodeScalars {
            let sp = isSpace(u)
            if sp && !inRun { runs += 1 }
            inRun = sp
        }
        return runs + 1
    }

    /// `re.sub(pattern, template, s)` with ICU (the patterns used are plain enough to mean the same).
    static func sub(_ pattern: String, _ template: String, _ s: String) -> String {
        let re = try! NSRegularExpression(pattern: pattern, options: [])
        return re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }
}
