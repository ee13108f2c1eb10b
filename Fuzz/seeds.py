#!/usr/bin/env python3
"""Writes the seed corpora of the spindle-fuzz targets, one directory per target, from the committed
corpora/ and configs/, a demo output directory (`make demo` writes out/) and ../shared/data. Missing
sources are skipped with a note; nothing here is committed (the output directory is gitignored).
usage: Fuzz/seeds.py OUT_DIR [--demo out] [--shared ../shared]"""
import argparse, glob, gzip, os, struct, sys

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--demo", default="out")
ap.add_argument("--shared", default="../shared")
a = ap.parse_args()
data = os.path.join(a.shared, "data")
counts = {}


def seed(target, name, blob):
    d = os.path.join(a.out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)
    counts[target] = counts.get(target, 0) + 1


def read(path, limit=None):
    if not os.path.isfile(path):
        print(f"seeds: skipping {path} (not found)", file=sys.stderr)
        return None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read(limit) if limit else f.read()


def lines(path, n, every=1):
    blob = read(path, 1 << 22)
    return [] if blob is None else [l for l in blob.split(b"\n") if l.strip()][: n * every : every]


# jsonl: single records of every kind, and a few small multi-line files.
for path, n in [("corpora/web/pages.jsonl", 6), ("corpora/sft/dialogues.jsonl", 6), ("corpora/preference/pairs.jsonl", 6),
                (f"{a.demo}/clean.jsonl", 4), (f"{a.demo}/sft.jsonl", 2), (f"{a.demo}/preference.jsonl", 2),
                (f"{data}/sft/alpaca_seed_tasks.jsonl", 4), (f"{data}/pretrain/en/c4_demo.jsonl", 4),
                (f"{data}/eval/boolq.jsonl.gz", 2)]:
    ls = lines(path, n)
    for i, l in enumerate(ls):
        seed("jsonl", f"{os.path.basename(path)}.{i}", l[:4096] + b"\n")
    if len(ls) >= 3:
        seed("jsonl", f"{os.path.basename(path)}.multi", b"\n".join(x[:1200] for x in ls[:3]) + b"\n")

def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def field(num, value):
    """A protobuf field: int -> varint, float -> fixed32, bytes -> length-delimited."""
    if isinstance(value, bool) or isinstance(value, int):
        return varint(num << 3) + varint(int(value))
    if isinstance(value, float):
        return varint(num << 3 | 5) + struct.pack("<f", value)
    return varint(num << 3 | 2) + varint(len(value)) + value


def tiny_model():
    """A minimal BPE ModelProto: unk/bos/eos, byte pieces, a few merges (no external data needed)."""
    pieces = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    pieces += [(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    pieces += [(p, -float(i), 1) for i, p in enumerate(["\u2581t", "he", "\u2581the", "\u2581", "t", "h", "e", "a"])]
    body = b"".join(field(1, field(1, p.encode()) + field(2, sc) + field(3, ty)) for p, sc, ty in pieces)
    trainer = field(3, 2) + field(4, len(pieces)) + field(35, True) + field(40, 0) + field(41, 1) + field(42, 2) + field(43, -1)
    normalizer = field(1, b"identity") + field(3, True) + field(4, True) + field(5, True)
    return body + field(2, trainer) + field(3, normalizer)


seed("modelproto", "tiny-bpe", tiny_model())
# modelproto: Llama 2's tokenizer and the demo-trained one.
for path in [f"{data}/tokenizers/llama2/tokenizer.model", f"{a.demo}/tokenizer.model"]:
    blob = read(path)
    if blob:
        seed("modelproto", path.replace("/", "_"), blob)


def safetensors(tensors):
    """tensors: [(name, dtype, shape, raw bytes)] -> a safetensors file."""
    header, body = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    import json
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + body


seed("safetensors", "small", safetensors([
    ("a.weight", "F32", [2, 3], struct.pack("<6f", 1, -2, 0.5, 3e38, -0.0, 1e-40)),
    ("b.weight", "F16", [4], struct.pack("<4H", 0x3C00, 0x8001, 0x7C00, 0x7E00)),
    ("c.weight", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0xFF80)),
    ("empty", "F32", [0, 5], b"")]))
for path in sorted(glob.glob(f"{a.demo}/runs/*/checkpoint/model.safetensors"))[:2]:
    seed("safetensors", path.replace("/", "_"), read(path))


def llama2c(version, dim=8, hidden=16, layers=1, heads=2, kv=2, vocab=16, seq=8, tied=True):
    """A tiny llama2.c checkpoint (weights are a counter, the layout is what matters)."""
    hd = dim // heads
    n = vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kv * hd * dim + 3 * hidden * dim) + dim
    if version == 0:
        head = struct.pack("<7i", dim, hidden, layers, heads, kv, vocab if tied else -vocab, seq)
        n += seq * hd  # the rope tables
    else:
        head = struct.pack("<Ii7iB", 0x616B3432, 1, dim, hidden, layers, heads, kv, vocab, seq, 1 if tied else 0)
        head += b"\0" * (256 - len(head))
    if not tied:
        n += vocab * dim
    return head + struct.pack(f"<{n}f", *[(i % 17) / 17 for i in range(n)])


for v in (0, 1):
    for tied in (True, False):
        seed("llama2c", f"v{v}-{'tied' if tied else 'untied'}", llama2c(v, tied=tied))

# config: the committed presets and a demo checkpoint's config.json.
for path in sorted(glob.glob("configs/*.json")) + sorted(glob.glob(f"{a.demo}/runs/*/checkpoint/config.json"))[:2]:
    seed("config", path.replace("/", "_"), read(path))

def tiny_mds():
    """A two-sample MDS directory (str + ndarray:int32 + int columns) as one mds input."""
    import json
    names, encs = ["id", "ids", "n"], ["str", "ndarray:int32", "int"]
    config = {"column_encodings": encs, "column_names": names, "column_sizes": [None, None, 8],
              "compression": None, "format": "mds", "hashes": [], "size_limit": 1 << 26, "version": 2}
    samples = []
    for i, ids in enumerate([[1, 2, 3], [7]]):
        sid, arr = f"s{i}".encode(), struct.pack(f"<BI{len(ids)}i", 1 << 2 | 2, len(ids), *ids)  # ndim<<2 | log2(4), u32 shape, data
        samples.append(struct.pack("<II", len(sid), len(arr)) + sid + arr + struct.pack("<q", i))
    cfg = json.dumps(config, separators=(",", ":")).encode()
    offset = 4 + 4 * (len(samples) + 1) + len(cfg)
    table = [offset]
    for smp in samples:
        table.append(table[-1] + len(smp))
    shard = struct.pack(f"<I{len(table)}I", len(samples), *table) + cfg + b"".join(samples)
    entry = dict(config, raw_data={"basename": "shard.00000.mds", "bytes": len(shard), "hashes": {}},
                 samples=len(samples), zip_data=None)
    index = json.dumps({"shards": [entry], "version": 2}).encode()
    return struct.pack("<I", len(index)) + index + shard


seed("mds", "tiny", tiny_mds())
# mds: u32 LE length of index.json, index.json, then the first shard file.
for d in sorted(glob.glob(f"{a.demo}/shards/*")):
    index, shard = read(f"{d}/index.json"), read(f"{d}/shard.00000.mds")
    if index and shard:
        seed("mds", os.path.basename(d), struct.pack("<I", len(index)) + index + shard)

# wikixml: the committed sample and the head of the shared dump, cut after a whole page.
blob = read("corpora/wiki/sample.xml")
if blob:
    seed("wikixml", "sample.xml", blob)
blob = read(f"{data}/wiki/enwiki-pages-articles-shortened.xml.gz", 1 << 16)
if blob and b"</page>" in blob:
    seed("wikixml", "enwiki-head.xml", blob[: blob.index(b"</page>") + 7] + b"\n</mediawiki>\n")

print("seeds: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.items())) + f" -> {a.out}")
