// Text normalisation for hashing: the same normalised form feeds exact document hashes, CCNet line
// hashes and MinHash word shingles, so two copies differing only in case, punctuation, whitespace kind
// or look-alike letters hash alike.
//
// Rules, applied per unicode scalar:
// - letters are lower-cased (ASCII by table, others by the Unicode lowercase mapping when it is one scalar);
// - Unicode White_Space, controls, U+200B and invalid UTF-8 bytes end a word; runs collapse to one space;
// - punctuation (ASCII punctuation and symbols, Unicode P*), combining marks (Mn, Me) and format
//   characters (Cf: soft hyphen, ZWJ, BOM) are deleted, so "don't" -> "dont" and "U.S." -> "us";
// - full-width ASCII (U+FF01..FF5E) folds to ASCII, and Cyrillic/Greek letters that look like Latin ones
//   fold to the Latin letter (the usual homoglyph evasion);
// - each CJK ideograph, kana or Hangul syllable is a word of its own (those scripts have no spaces);
// - with `digitsToZero` (CCNet's line normalisation) every ASCII digit becomes 0.
// The output is the normalised words joined by single spaces, with no leading or trailing space.

/// Normalises UTF-8 text for hashing. Stateless apart from a lazily filled lookup table, which is safe
/// to fill from several threads at once (`BMPPageTable`).
public enum TextNormalizer {
    // ASCII classes: 0 = delete, 1 = word break, otherwise the byte to emit (already lower-cased).
    static let asciiTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 128)
        for b in 0..<128 {
            let c = UInt8(b)
            switch c {
            case 0x41...0x5A: t[b] = c + 32
            case 0x61...0x7A, 0x30...0x39: t[b] = c
            case 0x00...0x20, 0x7F: t[b] = 1
            default: t[b] = 0  // punctuation and ASCII symbols
            }
        }
        return t
    }()

    static let asciiTableZero: [UInt8] = asciiTable.map { $0 >= 0x30 && $0 <= 0x39 ? 0x30 : $0 }
    /// 256-entry versions for the hot loops: a non-ASCII lead or continuation byte maps to 2, so one
    /// compare (>= 0x20: a character to copy) decides the common case.
    static let byteTable: [UInt8] = asciiTable + [UInt8](repeating: 2, count: 128)
    static let byteTableZero: [UInt8] = asciiTableZero + [UInt8](repeating: 2, count: 128)
    /// For JSON string bodies: a backslash (0x5C) maps to 3, an escape to decode in place.
    static let byteTableJSON: [UInt8] = { var t = byteTable; t[0x5C] = 3; return t }()

    static let drop: UInt32 = 0xFFFF_FFFF
    static let brk: UInt32 = 0xFFFF_FFFE
    static let alone: UInt32 = 0x8000_0000

    /// Cyrillic and Greek letters that render like Latin ones (lower-case targets).
    static let confusables: [UInt32: UInt32] = {
        var m: [UInt32: UInt32] = [:]
        let pairs: [(String, String)] = [
            // Cyrillic
            ("а", "a"), ("в", "b"), ("е", "e"), ("ё", "e"), ("к", "k"), ("м", "m"), ("н", "h"), ("о", "o"),
            ("р", "p"), ("с", "c"), ("т", "t"), ("у", "y"), ("х", "x"), ("ѕ", "s"), ("і", "i"), ("ї", "i"),
            ("ј", "j"), ("ԁ", "d"), ("һ", "h"), ("ԛ", "q"), ("ԝ", "w"), ("ɡ", "g"),
            // Greek
            ("α", "a"), ("β", "b"), ("ε", "e"), ("ι", "i"), ("κ", "k"), ("ν", "v"), ("ο", "o"), ("ρ", "p"),
            ("τ", "t"), ("υ", "u"), ("χ", "x"), ("γ", "y"), ("ϲ", "c"), ("ј", "j"),
            // Latin look-alikes
            ("ı", "i"), ("ℓ", "l"),
        ]
        for (a, b) in pairs { m[a.unicodeScalars.first!.value] = b.unicodeScalars.first!.value }
        return m
    }()

    /// Map one non-ASCII scalar to `drop`, `brk`, `alone | scalar` or the scalar to emit.
    static func classify(_ v: UInt32) -> UInt32 {
        if v < 0x80 {
            let c = asciiTable[Int(v)]
            return c == 0 ? drop : (c == 1 ? brk : UInt32(c))
        }
        if v >= 0xFF01 && v <= 0xFF5E { return classify(v - 0xFEE0) }
        if v == 0x200B { return brk }
        guard let s = Unicode.Scalar(v) else { return brk }
        let p = s.properties
        if p.isWhitespace { return brk }
        switch p.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .spaceSeparator: return brk
        case .nonspacingMark, .enclosingMark, .format: return drop
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return drop
        default: break
        }
        if isCJK(v) { return alone | v }
        var out = v
        if p.changesWhenLowercased {
            let low = p.lowercaseMapping.unicodeScalars
            if low.count == 1 { out = low.first!.value }
        }
        if let c = confusables[out] { out = c }
        return out
    }

    @inline(__always) static func isCJK(_ v: UInt32) -> Bool {
        (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x3040 && v <= 0x30FF)
            || (v >= 0xAC00 && v <= 0xD7AF) || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0x20000 && v <= 0x2FA1F)
    }

    /// Classification of BMP scalars, computed one 256-scalar page at a time on first use (a page of
    /// Unicode property lookups costs ~40 us; the whole plane would cost ~10 ms at every start-up).
    static let bmpPages = BMPPageTable(classify: { v in (v >= 0xD800 && v <= 0xDFFF) ? brk : classify(v) })

    @inline(__always) static func bmpClass(_ v: UInt32) -> UInt32 { bmpPages[v] }

    /// Decode one UTF-8 scalar at `i`; returns (scalar, length) or (nil, 1) for an invalid byte.
    @inline(__always) static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32?, Int) {
        let n = p.count
        let b0 = UInt32(p[i])
        if b0 < 0xC2 { return (nil, 1) }
        if b0 < 0xE0 {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return (nil, 1) }
            return (((b0 & 0x1F) << 6) | UInt32(p[i + 1] & 0x3F), 2)
        }
        if b0 < 0xF0 {
            guard i + 2 < n, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80 else { return (nil, 1) }
            let v = ((b0 & 0x0F) << 12) | (UInt32(p[i + 1] & 0x3F) << 6) | UInt32(p[i + 2] & 0x3F)
            if v < 0x800 || (v >= 0xD800 && v <= 0xDFFF) { return (nil, 1) }
            return (v, 3)
        }
        if b0 < 0xF5 {
            guard i + 3 < n, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80, p[i + 3] & 0xC0 == 0x80
            else { return (nil, 1) }
            let v = ((b0 & 0x07) << 18) | (UInt32(p[i + 1] & 0x3F) << 12) | (UInt32(p[i + 2] & 0x3F) << 6)
                | UInt32(p[i + 3] & 0x3F)
            if v < 0x10000 || v > 0x10FFFF { return (nil, 1) }
            return (v, 4)
        }
        return (nil, 1)
    }

    /// Normalise `src` into `out` (replaced). The fast path: one table lookup per ASCII byte, written
    /// through a raw pointer (output is at most 2n + 8 bytes: case mapping grows a scalar by at most
    /// one byte, and a CJK scalar gains at most two spaces).
    @_optimize(speed)
    public static func normalize(_ src: UnsafeBufferPointer<UInt8>, into out: inout [UInt8],
                                 digitsToZero: Bool = false) {
        _ = normalize(src, into: &out, digitsToZero: digitsToZero, json: false)
    }

    /// Normalise the body of a JSON string (between the quotes, already validated) without unescaping
    /// it first: `\n \t \r \b \f` are breaks, `\" \\ \/` punctuation, `\uXXXX` (surrogate pairs combined,
    /// a lone surrogate as U+FFFD, as `JSONString.unescape` does) a scalar. The result equals
    /// `normalize(unescape(body))`; the return value is the unescaped length in bytes.
    @_optimize(speed)
    public static func normalizeJSONString(_ body: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Int {
        normalize(body, into: &out, digitsToZero: false, json: true)
    }

    @_optimize(speed)
    static func normalize(_ src: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], digitsToZero: Bool, json: Bool) -> Int {
        let n = src.count
        var decoded = n
        let cap = 2 * n + 8
        out = [UInt8](unsafeUninitializedCapacity: cap) { dst, count in
            let o = dst.baseAddress!
            var w = 0
            var pendingSpace = false
            @inline(__always) func emitScalar(_ v: UInt32) {
                if v < 0x80 { o[w] = UInt8(v); w += 1 }
                else if v < 0x800 { o[w] = UInt8(0xC0 | (v >> 6)); o[w + 1] = UInt8(0x80 | (v & 0x3F)); w += 2 }
                else if v < 0x10000 {
                    o[w] = UInt8(0xE0 | (v >> 12)); o[w + 1] = UInt8(0x80 | ((v >> 6) & 0x3F)); o[w + 2] = UInt8(0x80 | (v & 0x3F)); w += 3
                } else {
                    o[w] = UInt8(0xF0 | (v >> 18)); o[w + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
                    o[w + 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); o[w + 3] = UInt8(0x80 | (v & 0x3F)); w += 4
                }
            }
            @inline(__always) func hex4(_ k: Int) -> UInt32 {
                var v: UInt32 = 0
                for q in 0..<4 {
                    let h = src[k + q]
                    v = v << 4 | (h <= 0x39 ? UInt32(h &- 0x30) : UInt32((h | 0x20) &- 0x57))
                }
                return v
            }
            @inline(__always) func utf8Length(_ v: UInt32) -> Int { v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4 }
            let table0 = json ? byteTableJSON : (digitsToZero ? byteTableZero : byteTable)
            count = table0.withUnsafeBufferPointer { table -> Int in
                var i = 0
                while i < n {
                    let c = table[Int(src[i])]
                    if c >= 0x20 {
                        // A run of ASCII word characters: copy it in a tight loop (one branch miss per word).
                        if pendingSpace { o[w] = 0x20; w += 1; pendingSpace = false }
                        o[w] = c; w += 1; i += 1
                        while i < n {
                            let e = table[Int(src[i])]
                            if e < 0x20 { break }
                            o[w] = e; w += 1; i += 1
                        }
                        continue
                    }
                    if c < 2 {
                        if c == 1 { pendingSpace = w > 0 }
                        i += 1
                        continue
                    }
                    var sv: UInt32?
                    if c == 3 {
                        // A JSON escape (json mode only; the string was validated by the scanner).
                        let e = src[i + 1]
                        if e != 0x75 {  // \n \t \r \b \f break a word; \" \\ \/ are punctuation
                            if e == 0x6E || e == 0x74 || e == 0x72 || e == 0x62 || e == 0x66 { pendingSpace = w > 0 }
                            i += 2; decoded -= 1
                            continue
                        }
                        var v = hex4(i + 2)
                        var used = 6
                        if v >= 0xD800 && v < 0xDC00 {
                            if i + 12 <= n && src[i + 6] == 0x5C && src[i + 7] == 0x75 {
                                let low = hex4(i + 8)
                                if low >= 0xDC00 && low < 0xE000 { v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00); used = 12 }
                                else { v = 0xFFFD }
                            } else { v = 0xFFFD }
                        } else if v >= 0xDC00 && v < 0xE000 {
                            v = 0xFFFD
                        }
                        i += used
                        decoded -= used - utf8Length(v)
                        if v < 0x80 {
                            let a = asciiTable[Int(v)]
                            if a == 1 { pendingSpace = w > 0 }
                            else if a > 1 { if pendingSpace { o[w] = 0x20; w += 1; pendingSpace = false }; o[w] = a; w += 1 }
                            continue
                        }
                        sv = v
                    } else {
                        let (dv, len) = decode(src, i)
                        i += len
                        sv = dv
                    }
                    guard let v = sv else { pendingSpace = w > 0; continue }
                    let m = v < 0x10000 ? bmpClass(v) : classify(v)
                    if m == drop { continue }
                    if m == brk { pendingSpace = w > 0; continue }
                    if m & alone != 0 {
                        if w > 0 { o[w] = 0x20; w += 1 }
                        emitScalar(m & ~alone)
                        pendingSpace = true
                        continue
                    }
                    if pendingSpace { o[w] = 0x20; w += 1; pendingSpace = false }
                    if digitsToZero && m >= 0x30 && m <= 0x39 { o[w] = 0x30; w += 1 } else { emitScalar(m) }
                }
                return w
            }
        }
        return decoded
    }

    /// Normalise and split into word hashes in one pass: the same words as
    /// `Shingler.words(normalize(src))`, without materialising the joined text (each word is built in
    /// `scratch` and hashed when a break ends it).
    @_optimize(speed)
    public static func wordHashes(_ src: UnsafeBufferPointer<UInt8>, into words: inout [UInt64], scratch: inout [UInt8]) {
        let n = src.count
        if scratch.count < 2 * n + 8 { scratch = [UInt8](repeating: 0, count: 2 * n + 8) }
        words = [UInt64](unsafeUninitializedCapacity: n / 2 + 1) { dst, count in
            var nw = 0
            scratch.withUnsafeMutableBufferPointer { buf in
                let o = buf.baseAddress!
                let ob = UnsafeBufferPointer(buf)
                var w = 0
                // w stays below the 2n + 8 scratch bytes and i below n, nw below n / 2 + 1 words: the
                // loop's offsets use wrapping arithmetic (with wordHash and the shingle loop: 5% fewer
                // instructions for near dedup of 49 MB, 3,697 M -> 3,507 M, callgrind).
                @inline(__always) func flush() {
                    if w > 0 { dst[nw] = Shingler.wordHash(ob, 0, w); nw &+= 1; w = 0 }
                }
                @inline(__always) func emitScalar(_ v: UInt32) {
                    if v < 0x80 { o[w] = UInt8(v); w &+= 1 }
                    else if v < 0x800 { o[w] = UInt8(0xC0 | (v >> 6)); o[w &+ 1] = UInt8(0x80 | (v & 0x3F)); w &+= 2 }
                    else if v < 0x10000 {
                        o[w] = UInt8(0xE0 | (v >> 12)); o[w &+ 1] = UInt8(0x80 | ((v >> 6) & 0x3F)); o[w &+ 2] = UInt8(0x80 | (v & 0x3F)); w &+= 3
                    } else {
                        o[w] = UInt8(0xF0 | (v >> 18)); o[w &+ 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
                        o[w &+ 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); o[w &+ 3] = UInt8(0x80 | (v & 0x3F)); w &+= 4
                    }
                }
                byteTable.withUnsafeBufferPointer { table in
                    var i = 0
                    while i < n {
                        let c = table[Int(src[i])]
                        if c >= 0x20 {
                            o[w] = c; w &+= 1; i &+= 1
                            while i < n {
                                let e = table[Int(src[i])]
                                if e < 0x20 { break }
                                o[w] = e; w &+= 1; i &+= 1
                            }
                            continue
                        }
                        if c < 2 {
                            if c == 1 { flush() }
                            i &+= 1
                            continue
                        }
                        let (sv, len) = decode(src, i)
                        i &+= len
                        guard let v = sv else { flush(); continue }
                        let m = v < 0x10000 ? bmpClass(v) : classify(v)
                        if m == drop { continue }
                        if m == brk { flush(); continue }
                        if m & alone != 0 { flush(); emitScalar(m & ~alone); flush(); continue }
                        emitScalar(m)
                    }
                }
                flush()
            }
            count = nw
        }
    }

    /// Convenience: normalise a String (allocates).
    public static func normalize(_ s: String, digitsToZero: Bool = false) -> String {
        var out: [UInt8] = []
        var copy = s
        copy.withUTF8 { normalize($0, into: &out, digitsToZero: digitsToZero) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The naive oracle: the same rules written over `String.unicodeScalars`, no tables or buffers.
    public static func normalizeNaive(_ s: String, digitsToZero: Bool = false) -> String {
        var words: [String] = []
        var cur = ""
        for sc in s.unicodeScalars {
            let m = classify(sc.value)
            if m == drop { continue }
            if m == brk { if !cur.isEmpty { words.append(cur); cur = "" }; continue }
            if m & alone != 0 {
                if !cur.isEmpty { words.append(cur); cur = "" }
                words.append(String(Unicode.Scalar(m & ~alone)!))
                continue
            }
            var v = m
            if digitsToZero && v >= 0x30 && v <= 0x39 { v = 0x30 }
            cur.unicodeScalars.append(Unicode.Scalar(v)!)
        }
        if !cur.isEmpty { words.append(cur) }
        return words.joined(separator: " ")
    }
}
