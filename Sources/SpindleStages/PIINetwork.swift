// IPv4 and IPv6 addresses, and URLs that carry a user name and password.

extension PIIScanner {
    /// Words before a dotted quad that make it a version number, not an address.
    static let versionContext: Set<String> = [
        "version", "versions", "ver", "v", "release", "build", "firmware", "kernel", "update", "patch", "rev",
        "revision", "python", "java", "node", "rust", "swift", "chrome", "firefox", "windows", "ios", "android",
        "macos", "linux", "sdk", "api", "driver", "bios", "agent", "upgrade", "upgraded", "package", "library",
        "changelog", "tag", "branch", "oid", "snmp", "section", "chapter", "figure", "table", "step", "rule",
    ]
    /// Words before a dotted quad that make it an address even when every octet has one digit.
    static let addressContext: Set<String> = [
        "ip", "ipv", "address", "addr", "host", "server", "gateway", "dns", "from", "ping", "connect",
        "proxy", "router", "client", "peer", "resolver", "nameserver", "inet", "src", "dst",
    ]

    /// A dotted-quad IPv4 address (octets 0-255, no leading zeros). Not PII: versions ("version 1.2.3.4",
    /// all-single-digit quads without an address word before them), longer dotted chains (1.2.3.4.5),
    /// 0.x.x.x and netmasks (255.x.x.x).
    static func ipv4(_ t: PIIText, at i: Int) -> Range<Int>? {
        var j = i
        var octets: [Int] = []
        octets.reserveCapacity(4)
        var allSingle = true
        for k in 0..<4 {
            let s = j
            var v = 0
            while isDigit(t[j]) && j - s < 4 { v = v * 10 + Int(t[j] - 0x30); j += 1 }
            let len = j - s
            if len == 0 || len > 3 || v > 255 || (len > 1 && t[s] == 0x30) { return nil }
            if len > 1 { allSingle = false }
            octets.append(v)
            if k < 3 {
                guard t[j] == 0x2E else { return nil }
                j += 1
            }
        }
        if gluedAfter(t, j) || gluedBefore(t, i) { return nil }
        if octets[0] == 0 || octets[0] == 255 { return nil }
        let (w, _) = t.previousWord(before: i)
        if versionContext.contains(w) || versionContext.contains(t.nextWord(after: j)) { return nil }
        if !addressContext.contains(w) {
            // Two words back: "upgrade to 2.10.11.12".
            let w2 = t.previousWord(before: i - w.utf8.count - 1).word
            if versionContext.contains(w2) { return nil }
        }
        if allSingle && !addressContext.contains(w) { return nil }
        return i..<j
    }

    /// An IPv6 address: eight 1-4 digit hex groups, or fewer with one "::", optionally ending in a dotted
    /// quad. Not PII: clock times (12:30:45), MAC addresses (six groups), C++ scopes (std::x), and
    /// compressed forms with fewer than 4 hex digits ("a::b", "::1").
    static func ipv6(_ t: PIIText, at i: Int) -> Range<Int>? {
        if t[i - 1] == 0x3A || isWordByte(t[i - 1]) { return nil }
        var j = i
        var groups = 0, hexDigits = 0
        var doubleColon = false
        if t[j] == 0x3A {
            guard t[j + 1] == 0x3A else { return nil }
            doubleColon = true; j += 2
        }
        while true {
            let s = j
            while isHex(t[j]) && j - s < 5 { j += 1 }
            let len = j - s
            if len > 4 { return nil }
            if len == 0 {
                // Only valid right after "::" (e.g. "fe80::").
                if doubleColon && (t[j - 1] == 0x3A) { break }
                return nil
            }
            // An embedded IPv4 tail ("::ffff:192.0.2.1").
            if t[j] == 0x2E && isDigit(t[j + 1]) && (doubleColon || groups == 6) && (s..<j).allSatisfy({ isDigit(t[$0]) }) {
                var k = s, dots = 0
                while isDigit(t[k]) || (t[k] == 0x2E && isDigit(t[k + 1])) { if t[k] == 0x2E { dots += 1 }; k += 1 }
                if dots == 3 { groups += 2; hexDigits += 4; j = k; break }
                return nil
            }
            groups += 1
            hexDigits += len
            if t[j] == 0x3A {
                if t[j + 1] == 0x3A {
                    if doubleColon { return nil }
                    doubleColon = true; j += 2
                    if !isHex(t[j]) { break }
                    continue
                }
                if isHex(t[j + 1]) { j += 1; continue }
                break
            }
            break
        }
        if isWordByte(t[j]) || t[j] == 0x3A || (t[j] == 0x2E && isAlnum(t[j + 1])) { return nil }
        if doubleColon {
            guard groups <= 7, hexDigits >= 4, groups >= 1 else { return nil }
        } else {
            guard groups == 8 else { return nil }
        }
        return i..<j
    }

    /// Credentials inside a URL: scheme "://" user ":" password "@" host. The span is "user:password".
    static func urlCredentials(_ t: PIIText, colon c: Int) -> Range<Int>? {
        guard t[c + 1] == 0x2F, t[c + 2] == 0x2F, isAlpha(t[c - 1]) else { return nil }
        let s = c + 3
        var j = s
        var colon = -1
        while j - s < 256 {
            let b = t[j]
            if b == 0x40 { break }
            if b == 0x3A && colon < 0 { colon = j }
            let ok = isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x25 || b == 0x21 || b == 0x24
                || b == 0x26 || b == 0x27 || b == 0x2A || b == 0x2B || b == 0x2C || b == 0x3B || b == 0x3D
                || b == 0x2D || b == 0x3A || b >= 0x80
            if !ok { return nil }
            j += 1
        }
        guard t[j] == 0x40, colon > s, j > colon + 1, isAlnum(t[j + 1]) || t[j + 1] == 0x5B else { return nil }
        return s..<j
    }
}
