#!/usr/bin/env python3
"""Labelled near-duplicate benchmark: real text from ../shared/data, edited into clusters with chains.

Usage:
  dedup_quality.py make   SHARED_DATA OUT_DIR [--seed 7]        -> OUT_DIR/dedup_quality.jsonl (+ .labels.json)
  dedup_quality.py score  OUT_DIR NAME REPORT.json [...]        -> scores `spindle dedup --near --report` runs
  dedup_quality.py peer   OUT_DIR                               -> datasketch keep-first LSH on the same set

Documents (250-600 words) are cut from Wikipedia articles, WikiText paragraphs, C4 pages, Shakespeare and
enwiki pages. A third of the bases grow a cluster: each new copy is an edit of a random EARLIER member
(so copies of copies, i.e. chains, exist), at the cluster's edit level:
  L1 0.5% / L2 1% / L3 2% / L4 3% of words inserted, deleted or substituted, plus, per copy and at random,
  sentence swaps, a paragraph move, a boilerplate header or footer, whitespace and case changes, and
  truncation of the last 2-6% of words.
The other two thirds are distinct hard negatives from the same sources (neighbouring chunks of the same
articles, some with the same boilerplate). Order is shuffled. Fixed seed; written under bench/out/ only.

Truth: exact Jaccard of word 5-gram sets of normalised text (lower case, punctuation deleted, whitespace
collapsed: the normaliser's rules for this text). Definitions (docs/STAGES.md):
  a removed document is correct iff some KEPT document of its true cluster has true Jaccard >= t;
  precision = correct / removals;
  recall = correct / sum over clusters of (size - minimum dominating set of the true >= t graph).
The minimum dominating set is exact (branch and bound) up to 20 members; above that the lower bound
ceil(n / (max degree + 1)) is used, which can only lower the recall printed.
"""
import argparse, gzip, itertools, json, os, random, re, sys, unicodedata

LEVELS = {"L1": 0.005, "L2": 0.01, "L3": 0.02, "L4": 0.03}
BOILER_HEAD = ["Home | News | Sport | Weather | Contact us", "Advertisement - scroll down to continue reading",
               "You are reading the free edition. Sign in to read more."]
BOILER_FOOT = ["Share this article on Facebook, Twitter and LinkedIn.", "All rights reserved. Terms of use. Privacy policy.",
               "Subscribe to our newsletter for the latest updates every week.", "Click here to read more stories like this one."]
FILLER = ["very", "also", "new", "local", "major", "often", "data", "later", "indeed", "however", "still", "even",
          "the", "a", "of", "and", "in", "its", "their", "early"]


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def chunk_words(text, lo=250, hi=600, rng=None):
    """Split text into documents of lo..hi words at sentence ends, in paragraphs of 3-6 sentences."""
    out, cur, n = [], [], 0
    target = rng.randint(lo, hi)
    for s in sentences(text):
        cur.append(s); n += len(s.split())
        if n >= target:
            paras = []
            while cur:
                k = rng.randint(3, 6); paras.append(" ".join(cur[:k])); cur = cur[k:]
            out.append("\n\n".join(paras)); cur, n = [], 0
            target = rng.randint(lo, hi)
    return out


def load(data, rng):
    docs = []  # (source, group, text): group = the article a chunk came from (hard negatives share it)
    for i, line in enumerate(open(os.path.join(data, "pretrain/en/wiki_demo.txt"), encoding="utf-8")):
        docs += [("wiki", f"wiki{i}", c) for c in chunk_words(line.strip(), rng=rng)]
    buf = []
    for line in open(os.path.join(data, "pretrain/en/wikitext-2/valid.txt"), encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("="): buf.append(line)
    docs += [("wikitext", "wikitext", c) for c in chunk_words(" ".join(buf), rng=rng)]
    for i, line in enumerate(open(os.path.join(data, "pretrain/en/c4_demo.jsonl"), encoding="utf-8")):
        t = json.loads(line)["text"]
        docs += [("c4", f"c4{i}", c) for c in chunk_words(t, lo=150, rng=rng)]
    text = open(os.path.join(data, "pretrain/en/tinyshakespeare/input.txt"), encoding="utf-8").read()
    docs += [("books", "shakespeare", c) for c in chunk_words(text.replace("\n", " "), rng=rng)]
    xml = gzip.open(os.path.join(data, "wiki/enwiki-pages-articles-shortened.xml.gz"), "rt", encoding="utf-8").read()
    for i, m in enumerate(re.finditer(r"<text[^>]*>(.*?)</text>", xml, re.S)):
        t = m.group(1)
        if not t.startswith("#REDIRECT"):
            t = re.sub(r"\{\{[^{}]*\}\}|&lt;[^&]*&gt;|\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", t)
            docs += [("enwiki", f"enwiki{i}", c) for c in chunk_words(t.replace("&quot;", '"').replace("&amp;", "&"), rng=rng)]
    return docs


def normalise(text):
    out = []
    for c in text:
        cat = unicodedata.category(c)
        if c.isspace() or cat == "Cc": out.append(" ")
        elif cat[0] == "P" or cat in ("Mn", "Me", "Cf") or (c < "\x80" and not c.isalnum()): continue
        else: out.append(c.lower())
    return "".join(out).split()


def shingles(text, n=5):
    w = normalise(text)
    if not w: return frozenset()
    if len(w) < n: return frozenset([" ".join(w)])
    return frozenset(" ".join(w[i:i + n]) for i in range(len(w) - n + 1))


def jaccard(a, b):
    if not a and not b: return 1.0
    return len(a & b) / len(a | b)


def edit(rng, text, rate):
    paras = text.split("\n\n")
    if len(paras) > 2 and rng.random() < 0.2:           # move a paragraph
        p = paras.pop(rng.randrange(len(paras))); paras.insert(rng.randrange(len(paras) + 1), p)
    text = "\n\n".join(paras)
    if rng.random() < 0.3:                               # swap adjacent sentences
        s = sentences(text)
        for _ in range(rng.randint(1, 2)):
            if len(s) > 3:
                i = rng.randrange(len(s) - 1); s[i], s[i + 1] = s[i + 1], s[i]
        text = " ".join(s)
    w = text.split(" ")
    for _ in range(max(1, round(len(w) * rate * rng.uniform(0.6, 1.4)))):
        k = rng.randrange(len(w)); op = rng.random()
        if op < 0.4: w[k] = rng.choice(FILLER)
        elif op < 0.7: w.insert(k, rng.choice(FILLER))
        elif len(w) > 20: del w[k]
    if rng.random() < 0.2: w = w[:len(w) - int(len(w) * rng.uniform(0.02, 0.06))]  # truncation
    text = " ".join(w)
    if rng.random() < 0.3:                               # whitespace and case
        text = re.sub(r" ", lambda _: rng.choice([" ", "  ", "\n", " \t"]), text)
        if rng.random() < 0.5: text = text.upper() if rng.random() < 0.2 else text.lower()
    if rng.random() < 0.2: text = rng.choice(BOILER_HEAD) + "\n\n" + text
    if rng.random() < 0.3: text = text + "\n\n" + rng.choice(BOILER_FOOT)
    return text


def make(a):
    rng = random.Random(a.seed)
    docs = load(a.data, rng)
    rng.shuffle(docs)
    n_bases = len(docs) // 3
    records, labels = [], {"clusters": [], "negatives": []}
    for ci, (src, _, base) in enumerate(docs[:n_bases]):
        level = list(LEVELS)[ci % len(LEVELS)]
        size = rng.choice([2, 2, 3, 3, 4, 5, 6, 8, 10, 14, 20])
        members = [base]
        for _ in range(size - 1):
            members.append(edit(rng, members[rng.randrange(len(members))], LEVELS[level]))
        ids = [f"c{ci}.{k}" for k in range(size)]
        labels["clusters"].append({"level": level, "ids": ids})
        records += [{"id": i, "text": t, "source": src} for i, t in zip(ids, members)]
    for ni, (src, _, t) in enumerate(docs[n_bases:]):
        if rng.random() < 0.15: t = t + "\n\n" + rng.choice(BOILER_FOOT)   # shared boilerplate, distinct bodies
        records.append({"id": f"n{ni}", "text": t, "source": src})
        labels["negatives"].append(f"n{ni}")
    rng.shuffle(records)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "dedup_quality.jsonl"), "w", encoding="utf-8") as f:
        for r in records: f.write(json.dumps(r, ensure_ascii=False) + "\n")
    labels["order"] = [r["id"] for r in records]
    json.dump(labels, open(os.path.join(a.out, "dedup_quality.labels.json"), "w"))
    print(f"dedup quality set: {len(records)} documents, {len(labels['clusters'])} clusters "
          f"({sum(len(c['ids']) for c in labels['clusters'])} members), {len(labels['negatives'])} distinct", file=sys.stderr)


def min_dominating_set(n, adj):
    """Exact minimum dominating set size for small n (bitmask search by increasing size); else a lower bound."""
    if n > 20:
        return -(-n // (max(bin(m).count("1") for m in adj))), False
    full = (1 << n) - 1
    for k in range(1, n + 1):
        for combo in itertools.combinations(range(n), k):
            cov = 0
            for v in combo: cov |= adj[v]
            if cov == full: return k, True
    return n, True


class Truth:
    def __init__(self, out_dir, t):
        self.t = t
        self.labels = json.load(open(os.path.join(out_dir, "dedup_quality.labels.json")))
        text = {}
        for line in open(os.path.join(out_dir, "dedup_quality.jsonl"), encoding="utf-8"):
            r = json.loads(line); text[r["id"]] = r["text"]
        self.text = text
        self.cluster_of, self.level_of, self.sets = {}, {}, {}
        self.denominator, self.exact_mds = {}, True
        self.true_sim = {}
        for c in self.labels["clusters"]:
            ids = c["ids"]
            sets = [shingles(text[i]) for i in ids]
            adj = [1 << k for k in range(len(ids))]
            for x, y in itertools.combinations(range(len(ids)), 2):
                j = jaccard(sets[x], sets[y])
                self.true_sim[(ids[x], ids[y])] = self.true_sim[(ids[y], ids[x])] = j
                if j >= t: adj[x] |= 1 << y; adj[y] |= 1 << x
            mds, exact = min_dominating_set(len(ids), adj)
            self.exact_mds &= exact
            self.denominator[c["level"]] = self.denominator.get(c["level"], 0) + len(ids) - mds
            for i in ids: self.cluster_of[i] = ids; self.level_of[i] = c["level"]
        for i in self.labels["negatives"]: self.level_of[i] = "distinct"

    def score(self, removed):
        """removed: {id: duplicate_of or None}. Returns per-level figures and guarantee violations."""
        removed_set = set(removed)
        fig = {lv: {"removals": 0, "correct": 0, "denominator": d} for lv, d in self.denominator.items()}
        fig["distinct"] = {"removals": 0, "correct": 0, "denominator": 0, "documents": len(self.labels["negatives"])}
        bad_witness = 0
        for i, w in removed.items():
            lv = self.level_of[i]
            f = fig[lv]; f["removals"] += 1
            if lv == "distinct": continue
            if any(k not in removed_set and self.true_sim[(i, k)] >= self.t for k in self.cluster_of[i] if k != i):
                f["correct"] += 1
            if w is not None and (w in removed_set or self.true_sim.get((i, w), 0) < self.t): bad_witness += 1
        tot = {k: sum(f[k] for f in fig.values()) for k in ("removals", "correct", "denominator")}
        fig["all"] = tot
        for f in fig.values():
            f["precision"] = f["correct"] / f["removals"] if f["removals"] else 1.0
            f["recall"] = f["correct"] / f["denominator"] if f["denominator"] else None
        fig["distinct"]["removed_fraction"] = fig["distinct"]["removals"] / max(1, fig["distinct"]["documents"])
        fig["witness_below_threshold_or_removed"] = bad_witness
        return fig


def print_table(name, fig):
    rows = [lv for lv in LEVELS if lv in fig] + ["all"]
    def r(x): return "  -  " if x is None else f"{x:.3f}"
    cells = "  ".join(f"{lv} P {r(fig[lv]['precision'])} R {r(fig[lv]['recall'])}" for lv in rows)
    d = fig["distinct"]
    print(f"  {name:<26} {cells}  distinct removed {d['removals']}/{d['documents']} ({100 * d['removed_fraction']:.2f}%)"
          f"  bad witnesses {fig['witness_below_threshold_or_removed']}")


def score(a):
    truth = Truth(a.out, a.threshold)
    results = {}
    for name, path in zip(a.reports[0::2], a.reports[1::2]):
        rep = json.load(open(path))
        fig = truth.score({r["id"]: r["duplicate_of"] for r in rep["removed"]})
        results[name] = fig
        print_table(name, fig)
    return results


def peer(a):
    from datasketch import MinHash, MinHashLSH
    truth = Truth(a.out, a.threshold)
    lsh = MinHashLSH(threshold=a.threshold, num_perm=128)
    removed = {}
    for i in truth.labels["order"]:
        m = MinHash(num_perm=128)
        m.update_batch([s.encode() for s in shingles(truth.text[i])])
        hits = lsh.query(m)
        if hits: removed[i] = None          # keep-first: dropped on any candidate (no witness recorded)
        else: lsh.insert(i, m)
    fig = truth.score(removed)
    print_table("datasketch keep-first", fig)
    return fig


def ideal(a):
    """Greedy and first-seen on the TRUE graph: what a deduper with exact similarities would do."""
    truth = Truth(a.out, a.threshold)
    pos = {i: k for k, i in enumerate(truth.labels["order"])}
    out = {}
    for mode in ("greedy", "first-seen"):
        removed = {}
        for c in truth.labels["clusters"]:
            ids = sorted(c["ids"], key=pos.get)
            nb = {i: {k for k in ids if k != i and truth.true_sim[(i, k)] >= a.threshold} for i in ids}
            kept = set()
            if mode == "first-seen":
                for i in ids:
                    if not (nb[i] & kept): kept.add(i)
            else:
                covered = set()
                while len(covered) < len(ids):
                    best = max(ids, key=lambda v: (len(({v} | nb[v]) - covered), -pos[v]))
                    kept.add(best); covered |= {best} | nb[best]
            for i in ids:
                if i not in kept: removed[i] = max((k for k in nb[i] if k in kept), key=lambda k: truth.true_sim[(i, k)])
        fig = truth.score(removed)
        print_table(f"true-similarity {mode}", fig)
        out[mode] = fig
    return out


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make"); m.add_argument("data"); m.add_argument("out"); m.add_argument("--seed", type=int, default=7)
    s = sub.add_parser("score"); s.add_argument("out"); s.add_argument("reports", nargs="+")
    p = sub.add_parser("peer"); p.add_argument("out")
    i = sub.add_parser("ideal"); i.add_argument("out")
    for x in (s, p, i):
        x.add_argument("--threshold", type=float, default=0.8); x.add_argument("--json")
    a = ap.parse_args()
    if a.cmd == "make": return make(a)
    res = {"score": score, "peer": peer, "ideal": ideal}[a.cmd](a)
    if a.json: json.dump(res, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
