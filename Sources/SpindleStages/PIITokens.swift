// API keys and tokens with a documented prefix and shape (the provider's own format), found anywhere
// in text without a key name before them.

extension PIIScanner {
    static let awsPrefixes: [StaticString] = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA"]

    @inline(__always) static func runLength(_ t: PIIText, _ i: Int, _ pred: (UInt8) -> Bool) -> Int {
        var j = i
        while pred(t[j]) { j += 1 }
        return j - i
    }

    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b == 0x2D }

    /// Digits, upper- and lower-case letters among `r`: a random key mixes them, a word or slug does not.
    static func mixedCase(_ t: PIIText, _ r: Range<Int>, digits need: Int) -> Bool {
        var u = false, l = false, d = 0
        for k in r { let b = t[k]; if isUpper(b) { u = true } else if isLower(b) { l = true } else if isDigit(b) { d += 1 } }
        return u && l && d >= need
    }

    /// Tokens with a documented shape: AWS access key ids (AKIA... 20), Google API keys (AIza + 35),
    /// GitHub (ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 22+), GitLab (glpat- + 20), Slack
    /// (xox[bpars]- ...), Stripe (sk_/rk_ live/test + 16+), OpenAI/Anthropic style (sk-, sk-proj-, sk-ant-
    /// + 32+ mixed), Hugging Face (hf_ + 30+ mixed), npm (npm_ + 36), SendGrid (SG.22.43).
    static func shapedToken(_ t: PIIText, at i: Int) -> Range<Int>? {
        let b = t[i]
        func end(_ e: Int) -> Range<Int>? { isWordByte(t[e]) || t[e] == 0x2D ? nil : i..<e }
        switch b {
        case 0x41:  // "A"
            for pre in awsPrefixes where t.matches(pre, at: i) {
                let n = runLength(t, i + 4) { isUpper($0) || isDigit($0) }
                if n == 16 && !isWordByte(t[i + 20]) { return i..<(i + 20) }
            }
            if t.matches("AIza", at: i) && runLength(t, i + 4, isTokenByte) == 35 { return end(i + 39) }
        case 0x53:  // "S"
            if t.matches("SG.", at: i) && runLength(t, i + 3, isTokenByte) == 22 && t[i + 25] == 0x2E
                && runLength(t, i + 26, isTokenByte) == 43 { return end(i + 69) }
        case 0x67:  // "g"
            if t[i + 1] == 0x68 && t[i + 3] == 0x5F && [0x70, 0x6F, 0x75, 0x73, 0x72].contains(t[i + 2]) {
                let n = runLength(t, i + 4, isAlnum)
                if n >= 36 && n <= 255 && !isWordByte(t[i + 4 + n]) { return i..<(i + 4 + n) }
            }
            if t.matches("github_pat_", at: i) {
                let n = runLength(t, i + 11) { isAlnum($0) || $0 == 0x5F }
                if n >= 22 { return i..<(i + 11 + n) }
            }
            if t.matches("glpat-", at: i) {
                let n = runLength(t, i + 6, isTokenByte)
                if n >= 20 { return i..<(i + 6 + n) }
            }
        case 0x78:  // "x"
            if t.matches("xox", at: i) && [0x62, 0x70, 0x61, 0x72, 0x73].contains(t[i + 3]) && t[i + 4] == 0x2D {
                let n = runLength(t, i + 5) { isAlnum($0) || $0 == 0x2D }
                var digits = 0
                for k in (i + 5)..<(i + 5 + n) where isDigit(t[k]) { digits += 1 }
                if n >= 20 && digits >= 6 { return i..<(i + 5 + n) }
            }
        case 0x73, 0x72:  // "s", "r"
            if (t.matches("sk_live_", at: i) || t.matches("sk_test_", at: i) || t.matches("rk_live_", at: i) || t.matches("rk_test_", at: i)) {
                let n = runLength(t, i + 8, isAlnum)
                if n >= 16 && mixedCase(t, (i + 8)..<(i + 8 + n), digits: 0) { return end(i + 8 + n) }
            }
            if b == 0x73 && t.matches("sk-", at: i) {
                let n = runLength(t, i + 3, isTokenByte)
                if n >= 32 && n <= 200 && mixedCase(t, (i + 3)..<(i + 3 + n), digits: 1) { return end(i + 3 + n) }
            }
        case 0x68:  // "h"
            if t.matches("hf_", at: i) {
                let n = runLength(t, i + 3, isAlnum)
                if n >= 30 && n <= 64 && mixedCase(t, (i + 3)..<(i + 3 + n), digits: 0) { return end(i + 3 + n) }
            }
        case 0x6E:  // "n"
            if t.matches("npm_", at: i) && runLength(t, i + 4, isAlnum) == 36 && mixedCase(t, (i + 4)..<(i + 40), digits: 1) {
                return end(i + 40)
            }
        default: break
        }
        return nil
    }
}
