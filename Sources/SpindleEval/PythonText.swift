// PythonText.swift: the few Python string operations the harness's templates use, with Python's
// semantics (str.isspace, strip, capitalize, len in code points), so prompts match byte for byte.
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

    /// `str.capitalize()`: first code point upper (title) case, the rest lower case.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
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
