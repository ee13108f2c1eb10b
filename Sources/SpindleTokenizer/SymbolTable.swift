// The trainer's symbols: every character of the alphabet, every meta piece and every merged piece,
// with its UTF-8 string and a packed summary that decides whether a concatenation is a valid piece.

/// Symbol strings in one byte arena, their summaries (`BPETrainer.SymInfo`) and a reverse index.
struct SymbolTable {
    private(set) var bytes: [UInt8] = []
    private(set) var start: [Int] = []
    private(set) var len: [Int32] = []
    /// Packed summary per symbol (see `SymInfo`).
    private(set) var info: [UInt32] = []
    private var byString: [ArraySlice<UInt8>: Int32] = [:]

    var count: Int { start.count }

    /// The id of the symbol spelled `bytes`, if there is one.
    func id(of bytes: [UInt8]) -> Int32? { byString[ArraySlice(bytes)] }

    /// Adds a symbol (the caller checks `id(of:)` first when the string may exist) and returns its id.
    @discardableResult
    mutating func add(_ b: [UInt8], info i: UInt32) -> Int32 {
        let id = Int32(start.count)
        start.append(bytes.count); len.append(Int32(b.count)); bytes.append(contentsOf: b)
        info.append(i)
        byString[ArraySlice(b)] = id
        return id
    }

    /// The bytes of symbol `s`.
    func utf8(_ s: Int32) -> ArraySlice<UInt8> { bytes[start[Int(s)]..<(start[Int(s)] + Int(len[Int(s)]))] }

    func string(_ s: Int32) -> String { String(decoding: utf8(s), as: UTF8.self) }

    /// Whether string(a)+string(b) < string(c)+string(d), bytewise (nil when equal).
    func concatLess(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Bool? {
        func byte(_ s1: Int32, _ s2: Int32, _ i: Int) -> Int {
            let l1 = Int(len[Int(s1)])
            if i < l1 { return Int(bytes[start[Int(s1)] + i]) }
            let j = i - l1
            if j < Int(len[Int(s2)]) { return Int(bytes[start[Int(s2)] + j]) }
            return -1
        }
        var i = 0
        while true {
            let x = byte(a, b, i), y = byte(c, d, i)
            if x != y { return x < y }
            if x < 0 { return nil }
            i += 1
        }
    }
}

extension BPETrainer {
    static let anyScript: UInt8 = 255

    /// Bits of a symbol summary: code points (0-7), all '▁' (8), starts with '▁' (9), has a digit (10),
    /// frozen meta piece (11), script (16-23, 255 = any).
    enum SymInfo {
        static func make(chars: Int, allWS: Bool, startsWS: Bool, digit: Bool, frozen: Bool, script: UInt8) -> UInt32 {
            UInt32(min(chars, 255)) | (allWS ? 1 << 8 : 0) | (startsWS ? 1 << 9 : 0) | (digit ? 1 << 10 : 0)
                | (frozen ? 1 << 11 : 0) | UInt32(script) << 16
        }
        @inline(__always) static func chars(_ i: UInt32) -> Int { Int(i & 0xFF) }
        @inline(__always) static func allWS(_ i: UInt32) -> Bool { i & (1 << 8) != 0 }
        @inline(__always) static func startsWS(_ i: UInt32) -> Bool { i & (1 << 9) != 0 }
        @inline(__always) static func digit(_ i: UInt32) -> Bool { i & (1 << 10) != 0 }
        @inline(__always) static func frozen(_ i: UInt32) -> Bool { i & (1 << 11) != 0 }
        @inline(__always) static func script(_ i: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: i >> 16) }
        static func concat(_ a: UInt32, _ b: UInt32) -> UInt32 {
            make(chars: chars(a) + chars(b), allWS: allWS(a) && allWS(b), startsWS: startsWS(a), digit: digit(a) || digit(b),
                 frozen: false, script: script(a) != anyScript ? script(a) : script(b))
        }
    }

    /// The validity rules, captured as plain values for the hot loop.
    struct Rules {
        let maxLength: Int
        let splitDigits: Bool
        let allowWS: Bool

        /// Whether the concatenation of two symbols is a valid piece (sentencepiece's IsValidSentencePiece).
        @inline(__always)
        func valid(_ a: UInt32, _ b: UInt32) -> Bool {
            if SymInfo.frozen(a) || SymInfo.frozen(b) { return false }
            if SymInfo.chars(a) &+ SymInfo.chars(b) > maxLength { return false }
            if splitDigits && (SymInfo.digit(a) || SymInfo.digit(b)) { return false }
            if SymInfo.allWS(a) && SymInfo.allWS(b) {
                if !allowWS { return false }
            } else {
                if SymInfo.startsWS(b) { return false }
                if SymInfo.allWS(a) && SymInfo.chars(a) > 1 { return false }
            }
            let sa = SymInfo.script(a), sb = SymInfo.script(b)
            return sa == anyScript || sb == anyScript || sa == sb
        }
    }

    var rules: Rules {
        Rules(maxLength: options.maxSentencepieceLength, splitDigits: options.splitDigits, allowWS: options.allowWhitespaceOnlyPieces)
    }
}
