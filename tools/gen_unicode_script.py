#!/usr/bin/env python3
"""Generates Sources/SpindleTokenizer/UnicodeScript.swift, the Unicode Script property table that the
tokenizer trainer's split_by_unicode_script rule reads.

  python3 tools/gen_unicode_script.py [SOURCE] > Sources/SpindleTokenizer/UnicodeScript.swift

SOURCE is perl's unicore/To/Sc.pl (default: the first /usr/share/perl/*/unicore/To/Sc.pl; Debian's
perl-modules package ships it) or a Unicode Character Database Scripts.txt. Python's unicodedata has no
Script property, hence perl's table. Adjacent ranges of one script are merged, so both sources give the
same table for the same Unicode version. Script ids are in order of first appearance by code point;
Unknown (every code point not listed) comes last.
"""
import glob
import re
import sys


def read_sc_pl(text):
    """Ranges from perl's Sc.pl: 'START<TAB>[END]<TAB>Script' lines between 'return <<'END';' and 'END'."""
    body = text.split("<<'END';\n", 1)[1].split("\nEND\n", 1)[0]
    for line in body.splitlines():
        start, end, script = line.split("\t")
        yield int(start, 16), int(end or start, 16), script


def read_scripts_txt(text):
    """Ranges from Scripts.txt: 'XXXX..YYYY ; Script # comment' lines."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cps, script = (part.strip() for part in line.split(";"))
        start, _, end = cps.partition("..")
        yield int(start, 16), int(end or start, 16), script


def merged(ranges):
    """Sorted ranges with adjacent ranges of the same script joined."""
    out = []
    for start, end, script in sorted(ranges):
        if out and out[-1][2] == script and out[-1][1] + 1 == start:
            out[-1][1] = end
        else:
            out.append([start, end, script])
    return out


def rows(values, fmt, per_line=12):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("        " + " ".join(fmt(v) + "," for v in values[i:i + per_line]))
    return "\n".join(lines)


def generate(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".pl"):
        version = re.search(r"database, Version (\d+\.\d+)", text).group(1)
        ranges = merged(read_sc_pl(text))
        source = "perl's unicore/To/Sc.pl (derived from the\n// Unicode Character Database, Scripts.txt)"
    else:
        version = re.search(r"Scripts-(\d+\.\d+)", text).group(1)
        ranges = merged(read_scripts_txt(text))
        source = "the Unicode Character Database's\n// Scripts.txt"
    names = []
    for _, _, script in ranges:
        if script not in names:
            names.append(script)
    names.append("Unknown")
    ids = {name: i for i, name in enumerate(names)}
    hexa = lambda v: "0x%X" % v
    out = [
        f"// Unicode Script property (Unicode {version}), generated from {source}. Used by the trainer's split_by_unicode_script rule.",
        "// Code points not listed have script Unknown.",
        "// Do not edit: regenerate with `python3 tools/gen_unicode_script.py > Sources/SpindleTokenizer/UnicodeScript.swift`.",
        "",
        "enum UnicodeScript {",
        "    static let names: [String] = [" + ", ".join(f'"{n}"' for n in names) + "]",
    ]
    out += [f"    static let {var}: UInt8 = {ids[name]}" for var, name in
            [("unknown", "Unknown"), ("common", "Common"), ("inherited", "Inherited"),
             ("han", "Han"), ("hiragana", "Hiragana"), ("katakana", "Katakana")]]
    out += [
        "    /// Range starts, ends (inclusive) and scripts, sorted by start.",
        "    static let starts: [UInt32] = [", rows([r[0] for r in ranges], hexa), "    ]",
        "    static let ends: [UInt32] = [", rows([r[1] for r in ranges], hexa), "    ]",
        "    static let scripts: [UInt8] = [", rows([ids[r[2]] for r in ranges], str), "    ]",
        "",
        "    /// The script of a code point (binary search over the ranges).",
        "    static func of(_ c: UInt32) -> UInt8 {",
        "        var lo = 0, hi = starts.count - 1",
        "        if c < starts[0] { return unknown }",
        "        while lo < hi {",
        "            let mid = (lo + hi + 1) >> 1",
        "            if starts[mid] <= c { lo = mid } else { hi = mid - 1 }",
        "        }",
        "        return c <= ends[lo] ? scripts[lo] : unknown",
        "    }",
        "}",
    ]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        found = sorted(glob.glob("/usr/share/perl/*/unicore/To/Sc.pl"))
        if not found:
            sys.exit("gen_unicode_script.py: no perl unicore/To/Sc.pl found; pass Sc.pl or Scripts.txt")
        path = found[0]
    sys.stdout.write(generate(path))


if __name__ == "__main__":
    main()
