// IPv4 and IPv6 addresses, and URLs that carry a user name and password.

extension PIIScanner {
    /// Words before a dotted quad that make it a version, section, OID, price or identifier, not an address.
    static let versionContext: Set<String> = [
        "version", "versions", "ver", "v", "vers", "release", "releases", "released", "build", "firmware", "kernel",
        "update", "patch", "rev", "revision", "upgrade", "upgraded", "downgrade", "package", "library", "changelog",
        "tag", "branch", "requires", "required", "require", "requirement", "requirements", "depends", "dependency",
        "dependencies", "pin", "pinned", "install", "installed", "installing", "bump", "bumped", "sdk", "api",
        "driver", "bios", "agent", "oid", "mib", "snmp", "arc", "section", "sections", "sec", "chapter", "figure",
        "fig", "table", "step", "rule", "clause", "article", "art", "para", "paragraph", "appendix", "annex", "eq",
        "equation", "theorem", "lemma", "definition", "isbn", "serial", "order", "sku", "ref", "invoice", "ticket",
        "abschnitt", "kapitel", "absatz", "artikel", "ziffer", "chapitre", "paragraphe", "capitolo", "sezione",
        "articolo", "hoofdstuk", "rozdzial", "kap", "abs", "price", "cost", "usd", "eur", "gbp", "chf", "inr", "jpy",
        "cny", "rmb", "aud", "cad", "nzd", "sek", "nok", "dkk", "pln", "brl", "mxn", "zar", "krw",
    ]
    /// Software whose name before a dotted quad makes it a version ("OpenSSL 1.0.2.21", "numpy 1.21.0.1").
    static let softwareNames: Set<String> = [
        "python", "java", "node", "nodejs", "rust", "swift", "go", "golang", "ruby", "perl", "php", "kotlin", "scala",
        "chrome", "chromium", "firefox", "safari", "edge", "opera", "windows", "ios", "android", "macos", "osx",
        "linux", "ubuntu", "debian", "fedora", "centos", "rhel", "alpine", "openssl", "openssh", "nginx", "apache",
        "tomcat", "mysql", "postgresql", "postgres", "sqlite", "redis", "mongodb", "docker", "kubernetes", "helm",
        "terraform", "ansible", "git", "curl", "wget", "bash", "gcc", "clang", "llvm", "cuda", "cudnn", "nvidia",
        "tensorflow", "pytorch", "torch", "numpy", "pandas", "scipy", "django", "flask", "rails", "react", "angular",
        "vue", "jquery", "bootstrap", "npm", "pip", "maven", "gradle", "spring", "hibernate", "jdk", "jre", "openjdk",
        "dotnet", "net", "unity", "wordpress", "drupal", "joomla", "magento", "excel", "office", "photoshop", "xcode",
        "vscode", "electron", "qt", "gtk", "boost", "cmake", "elasticsearch", "kafka", "spark", "hadoop", "jenkins",
        "grafana", "prometheus", "vim", "emacs", "requests", "urllib", "setuptools", "wheel", "transformers", "keras",
        "matplotlib", "webpack", "typescript", "lodash", "express", "laravel", "symfony", "minecraft", "steam",
    ]
    static let upgradeWords: Set<String> = ["upgrade", "upgraded", "update", "updated", "bump", "bumped", "pin", "pinned", "downgrade", "downgraded"]

    /// Words after a dotted quad that make it a version.
    static let versionAfter: Set<String> = [
        "release", "released", "version", "build", "beta", "alpha", "rc", "update", "patch", "firmware", "changelog",
        "final", "lts", "later", "newer", "higher", "above", "required",
    ]
    /// Words before a dotted quad that make it an address even when every octet has one digit.
    static let addressContext: Set<String> = [
        "ip", "ipv", "address", "addr", "host", "server", "gateway", "dns", "from", "ping", "connect", "adresse", "adres",
        "indirizzo", "direccion", "endereco", "adresa", "ipadresse",
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
        if notAddressContext(t, i, j) { return nil }
        let w = t.previousWord(before: i).word
        let address = addressContext.contains(w)
        if allSingle && !address { return nil }
        // OID-shaped quads (first arc 0-2, second below 40: "2.5.4.10", "1.3.6.1") need an address word
        // other than "from".
        if octets[0] <= 2 && octets[1] < 40 && (!address || w == "from") { return nil }
        return i..<j
    }

    /// Version, dependency, section, price or identifier context around the dotted quad at `i..<j`.
    static func notAddressContext(_ t: PIIText, _ i: Int, _ j: Int) -> Bool {
        let (w, hash) = t.previousWord(before: i)
        if addressContext.contains(w) { return false }  // "ip=10.1.2.3", "host: 10.1.2.3"
        if t[i - 1] == 0x2F && t[i - 2] == 0x2F && t[i - 3] == 0x3A { return false }  // "http://10.1.2.3/"
        // Dependency and version syntax glued before: "pkg==1.2.3.4", ">= 1.2.3.4", "Chrome/1.2.3.4",
        // "§ 1.2.3.4", "$1.2.3.4", "~1.2.3.4", "^1.2.3.4", "#1.2.3.4" (not "http://1.2.3.4").
        var k = i - 1
        if t[k] == 0x20 { k -= 1 }
        switch t[k] {
        case 0x3D, 0x3C, 0x3E, 0x7E, 0x5E, 0x24, 0x23: return true
        case 0x2F: if isAlnum(t[k - 1]) { return true }
        case 0xA7, 0xAC, 0xA3, 0xA5: if t[k - 1] == 0xC2 || t[k - 1] == 0x82 { return true }  // § € £ ¥
        default: break
        }
        if hash || versionContext.contains(w) || softwareNames.contains(w) || identifierContextBefore(t, i) { return true }
        if packageNameBefore(t, i) { return true }
        // A dependency list on the same line: "dependencies: foo 1.2.3.4, bar 2.3.4.5".
        var s = i
        while s > 0 && i - s < 80 && t[s - 1] != 0x0A { s -= 1 }
        for word in dependencyWords where t.containsFoldedWord(s..<i, word) { return true }
        if !addressContext.contains(w) {
            // "1.2.3.4 release", "1.2.3.4 or later", "1.2.3.4 is required".
            let next = t.nextWord(after: j)
            if versionAfter.contains(next) { return true }
            if next == "or" || next == "and" || next == "is" || next == "ou" || next == "oder" {
                if versionAfter.contains(t.nextWord(after: j + 1 + next.utf8.count, maxAhead: 4)) { return true }
            }
        }
        // Two words back: "upgrade to 2.10.11.12", "requires at least ..."; three back after "to":
        // "upgrade numpy to 1.21.0.1" (but "Requests to 203.0.113.5" is an address).
        let s2 = t.previousWordStart(before: i)
        let w2 = t.wordBefore(s2)
        if versionContext.contains(w2) { return true }
        if w == "to" && upgradeWords.contains(t.wordBefore(t.previousWordStart(before: s2))) { return true }
        return false
    }

    static let dependencyWords: [StaticString] = ["depends", "dependenc", "requirements", "requires:", "install_requires", "packages:",
                                                  "pip install", "npm install", "apt install", "apt-get", "gem install", "cargo add"]

    /// A lower-case package-like token right before (one space): "python-dateutil", "libssl-dev",
    /// "urllib3", "my_pkg" — joined with "-"/"_" or ending in a digit, and not capitalised like prose.
    static func packageNameBefore(_ t: PIIText, _ i: Int) -> Bool {
        guard t[i - 1] == 0x20 else { return false }
        let e = i - 1
        var s = e
        var join = false, letters = false, upper = false
        while s > 0 && e - s < 40 && (isAlnum(t[s - 1]) || t[s - 1] == 0x2D || t[s - 1] == 0x5F || t[s - 1] == 0x2E) {
            let b = t[s - 1]
            if b == 0x2D || b == 0x5F { join = true } else if isUpper(b) { upper = true } else if isLower(b) { letters = true }
            s -= 1
        }
        guard letters, !upper, e - s >= 3, t[s - 1] < 0x80, isAlpha(t[s]), t[e - 1] != 0x2D, t[e - 1] != 0x2E else { return false }
        if isDigit(t[e - 1]) || t.containsFolded(s..<e, "_") { return true }
        guard join else { return false }
        for a in packageAffixes where t.containsFolded(s..<e, a) { return true }
        return false
    }

    /// Parts of hyphenated package names ("libssl-dev", "python-dateutil", "node-fetch", "react-dom").
    static let packageAffixes: [StaticString] = [
        "lib", "python", "py", "node-", "php-", "perl-", "ruby-", "golang-", "rust-", "-dev", "-util", "-core", "-cli",
        "-sdk", "-js", "-common", "-tools", "-api", "-server", "-client", "-plugin", "-bin", "-data", "-fetch", "-dom",
        "-config", "-loader", "-parser", "-runtime",
    ]

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
        // A colon right after is part of a longer token unless it ends a phrase ("address fe80::1:2:3:4: ...").
        if isWordByte(t[j]) || (t[j] == 0x3A && (isWordByte(t[j + 1]) || t[j + 1] == 0x3A)) || (t[j] == 0x2E && isAlnum(t[j + 1])) { return nil }
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
