#!/usr/bin/env python3
"""Build the ~50 MB benchmark corpus for `bench/stages.sh` from the real text in ../shared/data.

Usage: stages_corpus.py SHARED_DATA OUT.jsonl [--mb 50] [--seed 1]

Real documents (1-20 KB: Wikipedia articles, WikiText paragraphs, C4 pages, Shakespeare scenes, enwiki
pages, Alpaca answers) are written once, then the corpus is filled to --mb with variants of them:
  25% near copies (2-6% of words substituted, inserted or deleted; sentences swapped; boilerplate added),
  10% exact or case/whitespace copies, and 65% new distinct documents made of sentences drawn from
  different documents. About 1 in 8 documents carries inserted PII (e-mails, phones, IPs, cards, IBANs,
  SSNs, keys), so the PII stage has work to do. Deterministic for a seed. Written under bench/out/ only.
"""
import argparse, gzip, json, os, random, re, sys

def chunks(text, lo=1000, hi=20000, target=6000):
    """Split long text at sentence ends into documents of about `target` bytes."""
    out, cur = [], []
    size = 0
    for s in re.split(r"(?<=[.!?])\s+", text):
        cur.append(s); size += len(s) + 1
        if size >= target:
            out.append(" ".join(cur)); cur, size = [], 0
    if cur and size >= lo: out.append(" ".join(cur))
    return [c[:hi] for c in out]

def load(data):
    docs = []
    for line in open(os.path.join(data, "pretrain/en/wiki_demo.txt"), encoding="utf-8"):
        docs += [("wiki", c) for c in chunks(line.strip())]
    buf = []
    for line in open(os.path.join(data, "pretrain/en/wikitext-2/valid.txt"), encoding="utf-8"):
        if line.strip(): buf.append(line.strip())
        if sum(map(len, buf)) > 4000: docs.append(("wiki", "\n".join(buf))); buf = []
    for line in open(os.path.join(data, "pretrain/en/c4_demo.jsonl"), encoding="utf-8"):
        t = json.loads(line)["text"]
        if len(t) >= 500: docs.append(("web", t))
    text = open(os.path.join(data, "pretrain/en/tinyshakespeare/input.txt"), encoding="utf-8").read()
    for block in re.split(r"\n\n+", text):
        pass
    scenes = re.split(r"\n\n(?=[A-Z][A-Za-z ]+:\n)", text)
    cur = ""
    for s in scenes:
        cur += s + "\n\n"
        if len(cur) > 5000: docs.append(("books", cur.strip())); cur = ""
    xml = gzip.open(os.path.join(data, "wiki/enwiki-pages-articles-shortened.xml.gz"), "rt", encoding="utf-8").read()
    for m in re.finditer(r"<text[^>]*>(.*?)</text>", xml, re.S):
        t = m.group(1)
        if len(t) > 1500 and not t.startswith("#REDIRECT"):
            for c in chunks(t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&"), target=8000):
                docs.append(("wiki", c))
    for ex in json.load(open(os.path.join(data, "sft/alpaca_en_demo.json"), encoding="utf-8")):
        if len(ex.get("output", "")) > 1000: docs.append(("web", ex["output"]))
    return docs

BOILER = ["Share this article on Facebook Twitter and LinkedIn.", "All rights reserved. Terms of use. Privacy policy.",
          "Subscribe to our newsletter for the latest updates.", "Click here to read more stories like this one."]

def words_edit(rng, t, frac):
    w = t.split(" ")
    n = max(1, int(len(w) * frac))
    for _ in range(n):
        k = rng.randrange(len(w)); op = rng.random()
        if op < 0.4: w[k] = rng.choice(["very", "also", "new", "local", "major", "often", "data", "later"])
        elif op < 0.7: w.insert(k, rng.choice(["indeed", "however", "still", "even"]))
        elif len(w) > 10: del w[k]
    return " ".join(w)

def near(rng, t):
    r = rng.random()
    if r < 0.5: return words_edit(rng, t, rng.uniform(0.01, 0.04))
    if r < 0.7:
        s = re.split(r"(?<=[.!?])\s+", t)
        if len(s) > 3:
            i = rng.randrange(len(s) - 1); s[i], s[i + 1] = s[i + 1], s[i]
        return " ".join(s)
    return t + "\n" + rng.choice(BOILER)

def pii(rng):
    def luhn_fill(prefix, n):
        d = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(n - len(prefix) - 1)]
        s = 0
        for i, x in enumerate(reversed(d)):
            y = x * 2 if i % 2 == 0 else x
            s += y - 9 if y > 9 else y
        return "".join(map(str, d + [(10 - s % 10) % 10]))
    c = luhn_fill(rng.choice(["4", "51", "37", "6011"]), 15 if False else 16)
    return rng.choice([
        "Contact %s.%s@%s.com for details." % (rng.choice(["anna", "li", "omar"]), rng.choice(["smith", "wu", "ali"]), rng.choice(["example", "mailhost", "corp"])),
        "Call (%d) 555-%04d today." % (rng.randrange(200, 999), rng.randrange(10000)),
        "Phone +44 20 7946 %04d." % rng.randrange(10000),
        "Server 203.0.%d.%d answered." % (rng.randrange(256), rng.randrange(1, 255)),
        "Card %s %s %s %s on file." % (c[0:4], c[4:8], c[8:12], c[12:16]),
        "SSN %03d-%02d-%04d." % (rng.randrange(1, 665), rng.randrange(1, 99), rng.randrange(1, 9999)),
        "Wire to GB82WEST12345698765432 please.",
        "aws_secret_access_key = %s" % "".join(rng.choice("ABCDEFGHabcdefgh0123456789+/") for _ in range(40)),
        "key AKIA%s" % "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
        "Version 1.2.3.4 was released on 2021-03-04 (ISBN 978-3-16-148410-0).",
    ])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data"); ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=50); ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    base = load(a.data)
    sentences = [s for _, t in base for s in re.split(r"(?<=[.!?])\s+", t) if 20 < len(s) < 400]
    target = int(a.mb * 1e6)
    n = 0
    size = 0
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        def emit(src, text):
            nonlocal n, size
            if rng.random() < 0.125: text = text + " " + pii(rng)
            line = json.dumps({"id": "bench:%d" % n, "text": text, "source": src}, ensure_ascii=False)
            f.write(line + "\n"); n += 1; size += len(line) + 1
        for src, t in base: emit(src, t)
        while size < target:
            r = rng.random()
            src, t = rng.choice(base)
            if r < 0.25: emit(src, near(rng, t))
            elif r < 0.30: emit(src, t)
            elif r < 0.35: emit(src, t.upper() if rng.random() < 0.5 else re.sub(" ", "  ", t))
            else:
                k = rng.randrange(10, 80)
                emit("web", " ".join(rng.choice(sentences) for _ in range(k)))
    os.replace(tmp, a.out)
    print("corpus: %d documents (%d real), %.1f MB -> %s" % (n, len(base), size / 1e6, a.out), file=sys.stderr)

if __name__ == "__main__":
    main()
