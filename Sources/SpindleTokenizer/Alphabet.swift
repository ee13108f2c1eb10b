// The alphabet: the characters that become pieces, chosen by character coverage as sentencepiece does
// (most frequent first until `character_coverage` of all characters is covered). Each becomes a
// one-character symbol; characters outside the alphabet split words (they never merge).

extension BPETrainer {
    /// The alphabet (most frequent first) and, per code point, its symbol id (-1 outside the alphabet).
    func chooseAlphabet(_ words: [WordCounter], symbols: inout SymbolTable) throws(TrainingError) -> ([UInt32], [Int32]) {
        let (perChar, total) = characterCounts(words)
        var counts: [(key: UInt32, value: UInt64)] = []
        for cp in 0..<perChar.count where perChar[cp] > 0 { counts.append((UInt32(cp), perChar[cp])) }
        // Most frequent first; ties by code point, so the order is deterministic.
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var alphabet: [UInt32] = []
        var acc: UInt64 = 0
        let limit = Double(total) * options.characterCoverage
        for (cp, c) in sorted {
            acc &+= c
            if options.characterCoverage < 1 && Double(acc) > limit { break }
            // NUL, TAB and sentencepiece's unknown marker never become pieces (they still count
            // towards the coverage, as in sentencepiece).
            if cp == 0 || cp == 9 || cp == 0x2585 { continue }
            alphabet.append(cp)
        }
        log("characters: \(counts.count) distinct, \(total) total, kept \(alphabet.count) (\(acc) <= \(limit))")
        var map = [Int32](repeating: -1, count: 0x110000)
        for cp in alphabet {
            let utf8 = Array(String(Unicode.Scalar(cp)!).utf8)
            if symbols.id(of: utf8) != nil { continue }
            map[Int(cp)] = symbols.add(utf8, info: characterInfo(cp))
        }
        return (alphabet, map)
    }

    /// How often each code point occurs in the counted words, and all characters together.
    private func characterCounts(_ words: [WordCounter]) -> ([UInt64], UInt64) {
        var perChar = [UInt64](repeating: 0, count: 0x110000)
        var total: UInt64 = 0
        perChar.withUnsafeMutableBufferPointer { pc in
            for shard in words {
                shard.forEach { p, n, c in
                    var i = 0
                    while i < n {
                        let (cp, l) = decodeScalar(p + i, n - i)
                        if cp < 0x110000 { pc[Int(cp)] &+= c }
                        total &+= c
                        i += l
                    }
                }
            }
        }
        return (perChar, total)
    }

    /// The summary of a one-character symbol: '▁', digit, and its script for splitting by script
    /// (kana count as Han, inherited marks and, without split_by_number, digits join any script).
    private func characterInfo(_ cp: UInt32) -> UInt32 {
        let ws = cp == 0x2581
        let digit = (cp >= 0x30 && cp <= 0x39) || (cp >= 0xFF10 && cp <= 0xFF19)
        var s: UInt8 = Self.anyScript
        if !ws && options.splitByUnicodeScript {
            s = UnicodeScript.of(cp)
            if s == UnicodeScript.hiragana || s == UnicodeScript.katakana || cp == 0x30FC { s = UnicodeScript.han }
            if s == UnicodeScript.inherited { s = Self.anyScript }
            if digit && !options.splitByNumber { s = Self.anyScript }
        }
        return SymInfo.make(chars: 1, allWS: ws, startsWS: ws, digit: digit, frozen: false, script: s)
    }
}

/// Decodes one code point from valid UTF-8 (the normaliser guarantees validity).
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt32, Int) {
    let c0 = UInt32(p[0])
    if c0 < 0x80 { return (c0, 1) }
    let l = min(n, oneCharLen(p[0]))
    switch l {
    case 2: return ((c0 & 0x1F) << 6 | UInt32(p[1] & 0x3F), 2)
    case 3: return ((c0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F), 3)
    case 4: return ((c0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F), 4)
    default: return (0xFFFD, 1)
    }
}
