// PythonText's lower/capitalize against CPython itself (str.lower, str.capitalize: Greek capital sigma
// becomes ς in Unicode's Final_Sigma context), and exact_match's case folding against numpy's
// np.char.lower (Python's lower per element, cut to the array's fixed width).
import Foundation
import Testing
@testable import SpindleEval
import SpindleTestSupport

struct PythonTextTests {
    /// Greek text with Σ at word ends, inside words, alone, and next to punctuation, apostrophes,
    /// combining and other case-ignorable marks (U+0301, U+0345, U+00AD, U+00B7, U+2019, U+02B0).
    static let greek = [
        "ΟΔΥΣΣΕΥΣ", "Η ΑΘΗΝΑ ΕΙΝΑΙ ΠΟΛΙΣ.", "ΣΟΦΟΣ ΚΑΙ ΛΟΓΙΟΣ", "ΤΗΣ ΕΛΛΑΔΟΣ, ΤΗΣ ΚΥΠΡΟΥ", "«ΛΟΓΟΣ»", "ΧΡΗΣΤΟΣ-ΠΑΠΑΣ",
        "Σ", " Σ ", "ΣΣ", "ΑΣ'", "ΑΣ'Β", "ΑΣ\u{2019}Β", "Α'Σ", "ΑΣ.", "ΑΣ.Β", "Α.Σ", "Α.Σ.", "ΑΣ\u{301}", "ΑΣ\u{301}Β",
        "Α\u{301}Σ", "ΑΣ\u{345}", "Α\u{345}Σ", "\u{345}Σ", "ΑΣ\u{AD}Β", "ΑΣ\u{AD}", "ΑΣ\u{B7}Β", "ΑΣ:Β", "ΑΣ1", "1Σ", "ʰΣ", "ΑΣʰ",
        "aΣ", "Σa", "ΑΣ🙂", "ǆΣΑ", "İΣ", "ΑΣ ΒΣ.", "Ὀδυσσεύς ΟΔΥΣΣΕΥΣ", "ᾼΣ", "ΑΣ\u{200D}", "ΑΣ\u{200D}Β", "_Σ", "Α_Σ",
    ]

    /// Seeded random strings over letters of every case, Σ/σ/ς, spaces, digits and case-ignorable marks.
    static var fuzz: [String] {
        let alphabet: [String] = ["Σ", "Σ", "Σ", "σ", "ς", "Α", "α", "Ο", "a", "B", " ", ".", "'", "\u{2019}", "\u{301}", "\u{345}", "\u{AD}",
                                  "\u{B7}", ":", "-", "1", "İ", "ǆ", "\u{200D}", "ʰ", "ᾼ", "🙂", "_", "\n"]
        var rng = SplitMix(seed: 15)
        return (0..<2000).map { _ in
            (0..<(1 + Int(rng.next() % 8))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
        }
    }

    static func python(_ script: String, _ strings: [String]) throws -> [String] {
        let input = try JSONSerialization.data(withJSONObject: strings)
        let out = try Python.output("import json, sys\nxs = json.load(sys.stdin)\n" + script, stdin: input)
        return try JSONSerialization.jsonObject(with: out) as! [String]
    }

    @Test(.requires(.python())) func lowerAndCapitalizeAreCPythons() throws {
        let strings = Self.greek + Self.fuzz
        let lower = try Self.python("json.dump([x.lower() for x in xs], sys.stdout)", strings)
        let cap = try Self.python("json.dump([x.capitalize() for x in xs], sys.stdout)", strings)
        var finals = 0
        for (i, s) in strings.enumerated() {
            #expect(PythonText.lower(s).unicodeScalars.elementsEqual(lower[i].unicodeScalars), "lower(\(s.debugDescription)): \(PythonText.lower(s).debugDescription), Python \(lower[i].debugDescription)")
            #expect(PythonText.capitalize(s).unicodeScalars.elementsEqual(cap[i].unicodeScalars), "capitalize(\(s.debugDescription)): \(PythonText.capitalize(s).debugDescription), Python \(cap[i].debugDescription)")
            if lower[i].unicodeScalars.contains("\u{3C2}") && s.unicodeScalars.contains("\u{3A3}") { finals += 1 }
        }
        // Both outcomes occur often: the rule is exercised, not avoided.
        #expect(finals > 300 && finals < strings.count - 300, "\(finals) strings with a final sigma")
        #expect(PythonText.lower("ΟΔΥΣΣΕΥΣ") == "οδυσσευς" && PythonText.lower("ΑΣ.Β") == "ασ.β" && PythonText.lower("Α.Σ") == "α.ς")
    }

    /// exact_match with ignore_case lowers through numpy: Python's lower per element, in the width of
    /// the one-element array (the string's own length), so `İstanbul` becomes `i̇stanbu`.
    @Test(.requires(.python("numpy"))) func exactMatchCaseFoldingIsNumpys() throws {
        let strings = Self.greek + Self.fuzz + ["İstanbul", "İİ", "x\u{0}", "ΑΣ\u{0}"]
        let np = try Self.python("import numpy as np\njson.dump([str(np.char.lower(np.asarray([x]))[0]) for x in xs], sys.stdout)", strings)
        let config = ExactMatchConfig(ignoreCase: true, ignorePunctuation: false, regexesToIgnore: [])
        for (i, s) in strings.enumerated() {
            let got = HarnessFilters.normalise(s, config)
            #expect(got.unicodeScalars.elementsEqual(np[i].unicodeScalars), "\(s.debugDescription): \(got.debugDescription), numpy \(np[i].debugDescription)")
        }
        #expect(HarnessFilters.normalise("İstanbul", config) == "i\u{307}stanbu")
    }
}

/// SplitMix64: a seeded stream for the fuzz strings.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
