// HarnessFilters.swift: what lm-evaluation-harness does to a generation before scoring it: the
// filters (`remove_whitespace` = str.strip(), `regex` = re.findall + group_select + strip, with a
// fallback) and exact_match's normalisation (`exact_match_hf_evaluate`: re.sub of each
// regexes_to_ignore, then lower(), then string.punctuation removed; any target equal counts).
import Foundation

public enum HarnessFilters {
    /// Runs a pipeline over one response.
    public static func apply(_ steps: [FilterStep], to response: String) -> String {
        var s = response
        for step in steps {
            switch step {
            case .stripWhitespace: s = PythonText.strip(s)
            case .regex(let pattern, let group, let fallback): s = regexExtract(s, pattern: pattern, group: group, fallback: fallback)
            }
        }
        return s
    }

    /// `RegexFilter`: `findall` (per match: the whole match without groups, the group with one, the
    /// tuple of groups otherwise), `match[group_select]` (negative from the end), a tuple's first
    /// non-empty group, `.strip()`; `fallback` when nothing matched.
    static func regexExtract(_ s: String, pattern: String, group: Int, fallback: String) -> String {
        let re = pythonRegex(pattern)
        let ns = s as NSString
        let matches = re.matches(in: s, range: NSRange(location: 0, length: ns.length))
        guard !matches.isEmpty else { return fallback }
        let idx = group < 0 ? matches.count + group : group
        guard matches.indices.contains(idx) else { return fallback }   // Python would raise IndexError
        let m = matches[idx]
        let groups = (0..<m.numberOfRanges).map { i -> String in
            let r = m.range(at: i)
            return r.location == NSNotFound ? "" : ns.substring(with: r)
        }
        let picked: String
        switch groups.count {
        case 1: picked = groups[0]
        case 2: picked = groups[1]
        default:
            guard let first = groups.dropFirst().first(where: { !$0.isEmpty }) else { return fallback }
            picked = first
        }
        return PythonText.strip(picked)
    }

    /// A Python `re` pattern in ICU: only `\n` ends a line (Python's `$` matches at the end or before a
    /// final "\n"). `\b` is rewritten by `removeArticles` where its definition of a word matters.
    static func pythonRegex(_ pattern: String) -> NSRegularExpression {
        try! NSRegularExpression(pattern: pattern, options: [.useUnixLineSeparators])
    }

    /// `re.sub(pattern, "", s)`.
    static func remove(_ pattern: String, from s: String) -> String {
        if pattern == articlePattern { return removeArticles(s) }
        let re = pythonRegex(pattern)
        return re.stringByReplacingMatches(in: s, range: NSRange(location: 0, length: (s as NSString).length), withTemplate: "")
    }

    static let articlePattern = "\\b(?:The |the |An |A |The |a |an )"

    /// `re.sub(r"\b(?:The |the |An |A |The |a |an )", "", s)` with Python's `\w` (str.isalnum() or
    /// "_"): an article and its space go when the character before is not a word character.
    static func removeArticles(_ s: String) -> String {
        let u = Array(s.unicodeScalars)
        let articles: [[Unicode.Scalar]] = ["The ", "the ", "An ", "A ", "a ", "an "].map { Array($0.unicodeScalars) }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            if i == 0 || !isPythonWordChar(u[i - 1]),
               let a = articles.first(where: { i + $0.count <= u.count && Array(u[i..<(i + $0.count)]) == $0 }) {
                i += a.count
                continue
            }
            out.append(u[i]); i += 1
        }
        return String(out)
    }

    /// Python's `\w` for str patterns: alphanumeric (letters Lu Ll Lt Lm Lo, or any numeric character) or "_".
    static func isPythonWordChar(_ c: Unicode.Scalar) -> Bool {
        if c == "_" { return true }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return c.properties.numericType != nil
        }
    }

    /// `string.punctuation`.
    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    /// The string exact_match compares (numpy strips trailing NULs from its unicode arrays).
    public static func normalise(_ s: String, _ c: ExactMatchConfig) -> String {
        var t = s
        for r in c.regexesToIgnore { t = remove(r, from: t) }
        if c.ignoreCase {
            // np.char.lower: Python's str.lower per element (Final_Sigma included), kept in the array's
            // fixed width: one string per array here, so a string longer once lowered (`İ` → `i̇`) is cut
            // back to its own length in code points.
            let width = t.unicodeScalars.count
            t = String(String.UnicodeScalarView(PythonText.lower(t).unicodeScalars.prefix(width)))
        }
        if c.ignorePunctuation { t = String(String.UnicodeScalarView(t.unicodeScalars.filter { !punctuation.contains($0) })) }
        while t.unicodeScalars.last == "\u{0}" { t.unicodeScalars.removeLast() }
        return t
    }

    /// 1 when the prediction equals any target after normalisation (multi-target tasks: `scores > 0`).
    public static func exactMatch(_ prediction: String, targets: [String], _ c: ExactMatchConfig) -> Double {
        let p = normalise(prediction, c)
        return targets.contains { normalise($0, c).utf8.elementsEqual(p.utf8) } ? 1 : 0   // code points, not Swift's canonical equivalence
    }
}
