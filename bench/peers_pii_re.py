#!/usr/bin/env python3
"""Peer for `spindle pii`: the Python `re` detector a user would write for the same types.

Usage: peers_pii_re.py INPUT.jsonl [--out OUT.jsonl]

Types and validation mirror Spindle's: e-mail; phone (NANP with separators or +1, international +CC);
IPv4 (octets <= 255); IPv6 (full and compressed); credit cards (13-19 digits, spaces/dashes, Luhn);
US SSN (area/group/serial ranges); IBAN (per-country length, mod-97); secrets (AWS, GitHub, GitLab, Slack,
private-key blocks, key/password/secret assignments with Shannon entropy >= 3); URL credentials. Matches
are redacted with <TYPE> placeholders. Prints one JSON line: docs, MB, seconds, MB/s, spans per type.
"""
import argparse, json, math, re, resource, sys, time
from collections import Counter

IBAN_LEN = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "AT": 20, "CH": 21, "PL": 28,
            "PT": 25, "SE": 24, "DK": 18, "FI": 18, "NO": 15, "IE": 22, "LU": 20, "CZ": 24, "HU": 28, "RO": 24}

PATTERNS = [
    ("secret", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S)),
    ("secret", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bglpat-[A-Za-z0-9_-]{20,}|\bxox[bpars]-[A-Za-z0-9-]{20,}")),
    ("secret_assign", re.compile(r"(?i)(?:api[_-]?key|_key|secret|passw(?:or)?d|pwd|token|credential)[\w.-]*[\"']?\s*[:=]>?\s*[\"'`]?([A-Za-z0-9+/_\-.=!@#$%^&*~]{8,200})")),
    ("url_credentials", re.compile(r"\b[a-z][a-z0-9+.-]*://([^\s:/@]+:[^\s/@]+)@[\w\[]")),
    ("email", re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")),
    ("credit_card", re.compile(r"(?<![\d-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4} \d{6} \d{4,5})(?![\d-])")),
    ("ssn", re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")),
    ("ipv6", re.compile(r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}|fe80::[0-9A-Fa-f:]+)(?![\w:])")),
    ("ipv4", re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.])")),
    ("phone", re.compile(r"(?<![\w+])(?:\+1[ .-]?)?(?:\(\d{3}\) ?|\d{3}([ .-]))\d{3}(?(1)\1|[ .-])\d{4}(?![\d-])|\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\d)")),
]

def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2: v = v * 2 - 9 if v > 4 else v * 2
        s += v
    return s % 10 == 0

def iban_ok(s):
    s = s.replace(" ", "")
    if IBAN_LEN.get(s[:2]) != len(s): return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def entropy(v):
    n = len(v)
    return -sum(c / n * math.log2(c / n) for c in Counter(v).values())

def valid(kind, m):
    t = m.group(0)
    if kind == "credit_card":
        d = re.sub(r"\D", "", t)
        return 13 <= len(d) <= 19 and luhn(d)
    if kind == "ssn":
        a, g, s = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return 0 < a < 900 and a != 666 and g > 0 and s > 0
    if kind == "iban": return iban_ok(t)
    if kind == "secret_assign":
        v = m.group(1)
        return entropy(v) >= 3.0 and not re.search(r"(?i)your|example|xxxx|changeme|\*\*\*\*", v)
    if kind == "phone":
        return 8 <= len(re.sub(r"\D", "", t)) <= 15
    return True

def scan(text):
    spans = []
    for kind, rx in PATTERNS:
        for m in rx.finditer(text):
            if not valid(kind, m): continue
            if kind in ("secret_assign", "url_credentials"):
                s, e = m.span(1); kind2 = "secret" if kind == "secret_assign" else kind
            else:
                s, e = m.span(); kind2 = kind
            if any(s < e2 and s2 < e for s2, e2, _ in spans): continue
            spans.append((s, e, kind2))
    spans.sort()
    return spans

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input"); ap.add_argument("--out")
    a = ap.parse_args()
    counts = Counter(); n = nbytes = 0
    out = open(a.out, "w", encoding="utf-8") if a.out else None
    t0 = time.perf_counter()
    with open(a.input, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = d["text"]; n += 1; nbytes += len(text.encode("utf-8"))
            spans = scan(text)
            if spans:
                parts, pos = [], 0
                for s, e, k in spans:
                    counts[k] += 1; parts.append(text[pos:s]); parts.append("<%s>" % k.upper()); pos = e
                parts.append(text[pos:]); d["text"] = "".join(parts)
            if out: out.write(json.dumps(d, ensure_ascii=False) + "\n")
    dt = time.perf_counter() - t0
    print(json.dumps({"tool": "python-re", "docs": n, "MB": round(nbytes / 1e6, 2), "seconds": round(dt, 2),
                      "MB_per_s": round(nbytes / 1e6 / dt, 2), "spans": dict(sorted(counts.items())),
                      "peak_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))

if __name__ == "__main__":
    main()
