// Secrets: cloud and forge tokens with fixed shapes, private-key blocks, and key/password assignments
// whose values look random.

extension PIIScanner {
    /// A PEM/OpenSSH private-key block from "-----BEGIN ... PRIVATE KEY-----" to its END line
    /// (or to the end of the text when the block is cut off).
    static func privateKeyBlock(_ t: PIIText, at i: Int) -> Range<Int>? {
        guard t.matches("-----BEGIN ", at: i) else { return nil }
        var j = i + 11
        let limit = min(t.count, j + 40)
        var found = false
        while j < limit {
            if t.matches("PRIVATE KEY", at: j) { found = true; break }
            if t[j] == 0x0A { return nil }
            j += 1
        }
        guard found else { return nil }
        var k = j + 11
        while k < t.count {
            if t[k] == 0x2D && t.matches("-----END ", at: k) {
                var e = k + 9
                while e < t.count && t[e] != 0x0A && !(t[e] == 0x2D && t.matches("-----", at: e)) { e += 1 }
                return i..<min(t.count, e + 5)
            }
            k += 1
        }
        return i..<t.count
    }

    // Key names whose values are secrets, matched inside the identifier case-insensitively: *_key, *-key,
    // *apikey, *accesskey, *privatekey, key, *secret*, *passw* (password, passwd), *pwd*, *token*, *credential*.
    static let placeholderWords = ["your", "example", "xxxx", "changeme", "placeholder", "redacted", "dummy",
                                   "****", "....", "none", "null", "true", "false", "undefined", "secret", "password",
                                   "token", "sample", "<", "${", "{{"]

    /// Parts of key names that name something public or derived even when the name also says key or
    /// token: hashes, ids, public keys, tokenizer settings, counts, paths (`cache_key`, `token_id`,
    /// `public_key`, `password_hash`, `max_tokens`, `eos_token`, `secret_name`).
    static let notSecretKeyParts: [StaticString] = [
        "public", "publishable", "cache", "hash", "checksum", "digest", "fingerprint", "tokenizer", "_id", "-id",
        "keyid", "tokenid", "uuid", "guid", "page_token", "pagetoken", "next_page", "idempot", "etag", "sha1", "sha2",
        "sha5", "md5", "_count", "count_", "max_", "_max", "min_", "_min", "num_", "length", "size", "limit", "_type",
        "type_", "_name", "name_", "path", "_file", "file_", "filename", "_url", "url_", "_uri", "uri_", "version", "format",
        "pad_", "bos_", "eos_", "unk_", "mask_", "sep_", "cls_", "special",
    ]

    static func notSecretKey(_ t: PIIText, _ kr: Range<Int>) -> Bool {
        // camelCase ids: "clientId", "keyID".
        let e = kr.upperBound
        if kr.count > 3 && t[e - 2] == 0x49 && (t[e - 1] | 0x20) == 0x64 && isLower(t[e - 3]) { return true }
        for part in notSecretKeyParts where t.containsFolded(kr, part) { return true }
        return false
    }

    /// A value that labels itself as a digest: "sha256:...", "sha512-...", "md5:...".
    static func hashLabelled(_ t: PIIText, _ v: Int) -> Bool {
        (t.matches("sha", at: v, fold: true) && isDigit(t[v + 3])) || t.matches("md5", at: v, fold: true)
    }

    @inline(__always) static func isValueByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == 0x2B || b == 0x2F || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x3D || b == 0x21
            || b == 0x40 || b == 0x23 || b == 0x24 || b == 0x25 || b == 0x5E || b == 0x26 || b == 0x2A || b == 0x7E
    }

    /// `api_key = "..."`, `password: ...`, `"client_secret": "..."`, `SECRET_TOKEN=...` where the value is
    /// 8-200 value characters, not a placeholder, mixes at least two character classes and has Shannon
    /// entropy >= 3 bits per character. The span is the value only.
    static func assignment(_ t: PIIText, op i: Int) -> Range<Int>? {
        // Key: skip spaces and a closing quote before the operator.
        var k = i - 1
        while k >= 0 && t[k] == 0x20 && i - k < 4 { k -= 1 }
        if t[k] == 0x22 || t[k] == 0x27 { k -= 1 }
        let keyEnd = k + 1
        while k >= 0 && (isAlnum(t[k]) || t[k] == 0x5F || t[k] == 0x2D || t[k] == 0x2E) && keyEnd - k <= 40 { k -= 1 }
        let keyStart = k + 1
        guard keyEnd - keyStart >= 3 else { return nil }
        guard keyStart >= 0 else { return nil }
        let kr = keyStart..<keyEnd
        // Byte-level test of the key names, without allocating (":" and "=" are common in prose).
        let named = t.containsFolded(kr, "apikey") || t.containsFolded(kr, "_key") || t.containsFolded(kr, "-key")
            || t.containsFolded(kr, "accesskey") || t.containsFolded(kr, "privatekey") || (kr.count == 3 && t.containsFolded(kr, "key")) || t.containsFolded(kr, "secret") || t.containsFolded(kr, "passw")
            || t.containsFolded(kr, "pwd") || t.containsFolded(kr, "token") || t.containsFolded(kr, "credential")
            || (kr.count > 3 && t.matches("Key", at: kr.upperBound - 3) && isLower(t[kr.upperBound - 4]))  // camelCase "stripeKey"
        guard named, !notSecretKey(t, kr) else { return nil }
        // Value: after "=", "=>", ":" or ":=", spaces and one opening quote.
        var v = i + 1
        if t[v] == 0x3E || (t[i] == 0x3A && t[v] == 0x3D) { v += 1 }
        while t[v] == 0x20 && v - i < 6 { v += 1 }
        if t[v] == 0x22 || t[v] == 0x27 || t[v] == 0x60 { v += 1 }
        var e = v
        while isValueByte(t[e]) && e - v <= 200 { e += 1 }
        // Trailing sentence punctuation is not part of the value.
        while e > v && (t[e - 1] == 0x2E || t[e - 1] == 0x21) { e -= 1 }
        let n = e - v
        guard n >= 8 && n <= 200 else { return nil }
        // A call or subscript (`token = get_token()`, `key = cfg["key"]`) is code, not a value.
        if t[e] == 0x28 || t[e] == 0x5B { return nil }
        if hashLabelled(t, v) { return nil }
        let value = String(decoding: (v..<e).map { isUpper(t[$0]) ? t[$0] | 0x20 : t[$0] }, as: UTF8.self)
        if placeholderWords.contains(where: { value.contains($0) }) || value.hasPrefix("env") { return nil }
        var classes = 0
        var hasLower = false, hasUpper = false, hasDigit = false, hasOther = false
        for q in v..<e {
            let b = t[q]
            if isLower(b) { hasLower = true } else if isUpper(b) { hasUpper = true }
            else if isDigit(b) { hasDigit = true } else { hasOther = true }
        }
        classes = (hasLower ? 1 : 0) + (hasUpper ? 1 : 0) + (hasDigit ? 1 : 0) + (hasOther ? 1 : 0)
        guard classes >= 2 else { return nil }
        // Letters and hyphens only: a word ("Secret: Top-secret", "key: High-quality"), not a value.
        if !(v..<e).contains(where: { !isAlpha(t[$0]) && t[$0] != 0x2D }) && !hasDigit && (v..<e).contains(where: { t[$0] == 0x2D }) { return nil }
        // Letters with "_" or "." and nothing else: an identifier (`password = user.password`), not a value.
        if !hasDigit && (v..<e).contains(where: { t[$0] == 0x5F || t[$0] == 0x2E })
            && !(v..<e).contains(where: { let b = t[$0]; return !isAlpha(b) && b != 0x5F && b != 0x2E }) { return nil }
        guard shannonEntropy(t.p, v..<e) >= 3.0 else { return nil }
        return v..<e
    }
}
