#!/usr/bin/env python3
"""Labelled PII benchmark: typed precision and recall per type and subtype, and decoy hits.

  generate SHARED_DATA OUT.jsonl [--seed S] [--per-type N] [--decoys N] [--hosts N]
      Real text from SHARED_DATA (English Wikipedia/WikiText/C4/Alpaca, German and French web pages, Chinese
      prose, Python code) with one PII value (bench/pii_formats.py) or one look-alike (bench/pii_decoys.py)
      inserted at a random word position, with or without a context phrase before it, in the value's own
      language or in English; plus host passages with nothing inserted. Each line: {"id","text","kind",
      "type","subtype","gold":[[start,end]]} (offsets in unicode code points = scalars).
  score GOLD.jsonl TAGGED.jsonl [--json OUT]
      TAGGED is GOLD after `spindle pii --action tag` (field "pii"). A detection is a true positive only
      with the right type and exactly the gold span; anything else it reports is a false positive.
  bench SPINDLE SHARED_DATA OUTDIR
      generate (seed 13), tag with SPINDLE, score, print one line per type (for `make bench`).
Host passages are kept only when a conservative pattern finds nothing PII-like in them, so that a
detection outside the inserted value is a false positive of the detector, not PII in the source text.
"""
import gzip
import html
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pii_formats import GENERATORS, SPINDLE_TYPE  # noqa: E402
from pii_decoys import DECOYS  # noqa: E402

PII_LIKE = re.compile(r"@|\+\d|\d[\d .()/-]{5,}\d|\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-fA-F]{1,4}::?[0-9a-fA-F]{1,4}:|[A-Z]{2}\d{2}[A-Z0-9]{10}|(key|token|secret|passw)\w*\s*[:=]", re.I)


def chunks(text, lo=120, hi=600):
    for para in re.split(r"\n\s*\n|\n", text):
        para = " ".join(para.split())
        while len(para) >= lo:
            cut = para.rfind(". ", lo, hi)
            cut = cut + 1 if cut > 0 else min(len(para), hi)
            yield para[:cut].strip()
            para = para[cut:].strip()


def hosts(data):
    """(language, passage) pairs from the shared corpora."""
    out = []

    def add(lang, texts, limit):
        k = 0
        for t in texts:
            for c in chunks(t):
                if not PII_LIKE.search(c):
                    out.append((lang, c)); k += 1
                if k >= limit:
                    return

    def read(p):
        return open(os.path.join(data, p), encoding="utf-8", errors="replace").read()
    add("en", [read("pretrain/en/wikitext-2/valid.txt").replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".")], 3000)
    add("en", [read("pretrain/en/wiki_demo.txt")], 3000)
    add("en", [json.loads(line)["text"] for line in open(os.path.join(data, "pretrain/en/c4_demo.jsonl"), encoding="utf-8")], 2000)
    add("en", [r["output"] for r in json.load(open(os.path.join(data, "sft/alpaca_en_demo.json"), encoding="utf-8"))], 1500)
    pages = os.path.join(data, "html/trafilatura/pages")
    web = []
    for name in sorted(os.listdir(pages)):
        raw = open(os.path.join(pages, name), encoding="utf-8", errors="replace").read()
        for p in re.findall(r"<p[^>]*>(.*?)</p>", raw, re.S | re.I):
            web.append(html.unescape(re.sub(r"<[^>]+>", " ", p)))
    add("web", web, 3000)  # mostly German, some French and English
    zh = [r["output"] for r in json.load(open(os.path.join(data, "sft/alpaca_zh_demo.json"), encoding="utf-8"))]
    add("zh", zh, 1500)
    code = [json.loads(line)["prompt"] + json.loads(line)["canonical_solution"] for line in gzip.open(os.path.join(data, "pretrain/code/HumanEval.jsonl.gz"), "rt")]
    add("code", code, 500)
    return out


def insert(rng, passage, lang, piece):
    """passage with `piece` inserted between words (CJK: between characters); returns (text, offset)."""
    if lang == "zh":
        at = rng.randrange(len(passage) + 1)
        before, after = passage[:at], passage[at:]
        sep_b, sep_a = (" " if before else ""), (" " if after else "")
    else:
        words = passage.split(" ")
        at = rng.randrange(len(words) + 1)
        before, after = " ".join(words[:at]), " ".join(words[at:])
        sep_b, sep_a = (" " if before else ""), (" " if after else "")
    tail = rng.choice(["", "", "", ".", ",", ";", ")", ":"])
    opener = "(" if tail == ")" else ""
    text = before + sep_b + opener + piece + tail + sep_a + after
    return text, len(before + sep_b + opener)


def generate(data, out, seed=13, per_type=1500, decoys=6000, plain=1500):
    rng = random.Random(seed)
    hs = hosts(data)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    k = 0
    with open(out, "w", encoding="utf-8") as f:
        def emit(rec):
            nonlocal k
            rec["id"] = f"pii-{k:06d}"; k += 1
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for typ, gen in GENERATORS.items():
            for _ in range(per_type):
                lang, passage = rng.choice(hs)
                subtype, value, span, contexts, needs = gen(rng)
                with_ctx = needs or rng.random() < 0.5
                prefix = (rng.choice(contexts) + " ") if with_ctx else ""
                text, at = insert(rng, passage, lang, prefix + value)
                s = at + len(prefix) + value.index(span)
                emit({"text": text, "kind": "positive", "type": typ, "subtype": subtype, "context": with_ctx, "gold": [[s, s + len(span)]]})
        names = sorted(DECOYS)
        for i in range(decoys):
            lang, passage = rng.choice(hs)
            cls = names[i % len(names)]
            text, _ = insert(rng, passage, lang, DECOYS[cls](rng))
            emit({"text": text, "kind": "decoy", "type": "DECOY", "subtype": cls, "gold": []})
        for _ in range(plain):
            lang, passage = rng.choice(hs)
            emit({"text": passage, "kind": "host", "type": "HOST", "subtype": lang, "gold": []})


def score(gold_path, tagged_path):
    back = {v: k for k, v in SPINDLE_TYPE.items()}
    gold = {}
    for line in open(gold_path, encoding="utf-8"):
        r = json.loads(line); gold[r["id"]] = r
    per_type = {t: {"tp": 0, "fp": 0, "n": 0} for t in GENERATORS}
    per_sub, decoy_hits, host_hits, other_fp, misses = {}, {}, 0, {}, {}
    for line in open(tagged_path, encoding="utf-8"):
        r = json.loads(line)
        g = gold[r["id"]]
        found = [(back.get(s["type"], s["type"].upper()), s["start"], s["end"]) for s in r.get("pii", [])]
        if g["kind"] == "positive":
            typ, sub = g["type"], g["subtype"]
            key = (typ, sub)
            ps = per_sub.setdefault(key, {"n": 0, "tp": 0, "wrong": 0})
            ps["n"] += 1; per_type[typ]["n"] += 1
            want = (typ, g["gold"][0][0], g["gold"][0][1])
            hit = want in found
            ps["tp"] += hit; per_type[typ]["tp"] += hit
            if not hit:
                misses.setdefault(key, []).append((r["text"][max(0, want[1] - 30):want[2] + 10], found))
            for x in found:
                if x != want:
                    ps["wrong"] += 1
                    if x[0] in per_type: per_type[x[0]]["fp"] += 1
                    else: other_fp[x[0]] = other_fp.get(x[0], 0) + 1
        else:
            for x in found:
                if x[0] in per_type: per_type[x[0]]["fp"] += 1
                else: other_fp[x[0]] = other_fp.get(x[0], 0) + 1
            if found and g["kind"] == "decoy":
                decoy_hits.setdefault(g["subtype"], []).append((r["text"], found))
            if found and g["kind"] == "host":
                host_hits += len(found)
    return per_type, per_sub, decoy_hits, host_hits, other_fp, misses


def report(result, verbose=True):
    per_type, per_sub, decoy_hits, host_hits, other_fp, misses = result
    lines = []
    for t, v in per_type.items():
        p = v["tp"] / max(1, v["tp"] + v["fp"]); rec = v["tp"] / max(1, v["n"])
        lines.append(f"pii quality   {t:<12} precision {p:.4f}  recall {rec:.4f}  ({v['tp']}/{v['n']}, {v['fp']} false positives)")
    nd = sum(len(v) for v in decoy_hits.values())
    lines.append(f"pii quality   decoys redacted: {nd}" + (f" ({', '.join(f'{k} {len(v)}' for k, v in sorted(decoy_hits.items()))})" if nd else "")
                 + f"; detections in plain host text: {host_hits}" + (f"; other types: {other_fp}" if other_fp else ""))
    if verbose:
        lines.append("subtype table (type subtype n recall wrong):")
        for (t, s), v in sorted(per_sub.items()):
            lines.append(f"  {t:<12} {s:<16} {v['n']:>5} {v['tp'] / max(1, v['n']):.4f} {v['wrong']}")
        for key, ms in sorted(misses.items()):
            for text, found in ms[:3]:
                lines.append(f"  miss {key[0]}/{key[1]}: ...{text!r} -> {found}")
        for cls, hs in sorted(decoy_hits.items()):
            for text, found in hs[:3]:
                lines.append(f"  decoy hit {cls}: {found} in {text[:160]!r}")
    return "\n".join(lines)


def as_json(result):
    per_type, per_sub, decoy_hits, host_hits, other_fp, _ = result
    return {"types": {t: {"precision": v["tp"] / max(1, v["tp"] + v["fp"]), "recall": v["tp"] / max(1, v["n"]), **v} for t, v in per_type.items()},
            "subtypes": {f"{t}/{s}": {"recall": v["tp"] / max(1, v["n"]), **v} for (t, s), v in sorted(per_sub.items())},
            "decoys_redacted": {k: len(v) for k, v in decoy_hits.items()}, "host_detections": host_hits, "other_types": other_fp}


def main(argv):
    if len(argv) >= 3 and argv[0] == "generate":
        opts = dict(zip(argv[3::2], argv[4::2]))
        generate(argv[1], argv[2], int(opts.get("--seed", 13)), int(opts.get("--per-type", 1500)), int(opts.get("--decoys", 6000)),
                 int(opts.get("--hosts", 1500)))
    elif len(argv) >= 3 and argv[0] == "score":
        res = score(argv[1], argv[2])
        print(report(res))
        if "--json" in argv:
            json.dump(as_json(res), open(argv[argv.index("--json") + 1], "w"), indent=1)
    elif len(argv) == 4 and argv[0] == "bench":
        spindle, data, outdir = argv[1:]
        gold, tagged = os.path.join(outdir, "pii_quality.jsonl"), os.path.join(outdir, "pii_quality.tagged.jsonl")
        generate(data, gold)
        subprocess.run([spindle, "pii", "--action", "tag", "--overwrite", "-o", tagged, gold], check=True, stderr=subprocess.DEVNULL)
        res = score(gold, tagged)
        json.dump(as_json(res), open(os.path.join(outdir, "pii_quality.json"), "w"), indent=1)
        print(report(res, verbose=False))
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
