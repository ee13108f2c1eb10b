"""Exact and line/paragraph dedup on a local Ray instance against `spindle dedup` on one machine: the
same bytes for several block sizes and partition counts (any number of blocks and reducers).

  python keydedup_test.py SPINDLE_BIN WORK_DIR
Exit 0: passed; 1: a difference (printed); 77: skipped (no ray).
"""
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
sys.path.insert(0, PKG)
SKIP = 77

BOILER = ["Share on Facebook", "Cookie policy: we use cookies.", "All rights reserved 2021", "all rights reserved 2024!",
          "Subscribe to our newsletter", "Click here to read more"]
WORDS = ("river mountain city history science music language system government energy water market school "
         "network theory ancient modern early late north south great small public private national local").split()


def corpus(n=600, seed=3):
    """Documents with exact copies (case and punctuation changed), boilerplate lines and paragraphs shared
    across documents and blocks, repeats inside a document, a numeric field, and a record without an id."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        parts = []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            parts.append(rng.choice(BOILER) if r < 0.35 else " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))))
            if rng.random() < 0.25:
                parts.append("")
        if i % 13 == 5:
            parts.append(parts[0])
        text = "\n".join(parts)
        if docs and rng.random() < 0.12:
            text = rng.choice(docs)["text"].upper() + "!"
        d = {"id": "d%d" % i, "text": text, "q": rng.randint(0, 4), "meta": {"n": 1.50}}
        if i % 17 == 0:
            del d["id"]
        docs.append(d)
    return docs


def write_shards(docs, out, k=3):
    os.makedirs(out, exist_ok=True)
    paths = []
    for s in range(k):
        path = os.path.join(out, "shard-%d.jsonl" % s)
        with open(path, "w", encoding="utf-8") as f:
            for d in docs[s::k]:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


CASES = [
    ["dedup"],
    ["dedup", "--keep", "longest"],
    ["dedup", "--keep", "q"],
    ["dedup", "--no-normalize"],
    ["dedup", "--lines"],
    ["dedup", "--lines", "--min-remaining", "0.6"],
    ["dedup", "--paragraphs", "--min-remaining", "0.3"],
]


def main():
    spindle, work = sys.argv[1:3]
    try:
        import ray
    except ImportError:
        print("skip: ray is not installed")
        return SKIP
    import spindle_ray
    files = write_shards(corpus(), os.path.join(work, "in"))
    os.environ["SPINDLE_BIN"] = spindle
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"SPINDLE_BIN": spindle, "PYTHONPATH": PKG, "RAY_USAGE_STATS_ENABLED": "0"}})
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    failures = []
    try:
        for case in CASES:
            want = subprocess.run([spindle] + case + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
            if want.count(b"\n") == len(corpus()) and b"".join(open(f, "rb").read() for f in files) == want:
                failures.append("%s: the corpus removes nothing" % " ".join(case))
            splits = [(37, 3)] + ([(11, 16), (1000, 1)] if case in (CASES[0], CASES[5]) else [])
            for lines, parts in splits:
                t = time.time()
                ds = spindle_ray.read_jsonl(os.path.join(work, "in", "shard-*.jsonl"), lines_per_block=lines)
                ds, _ = spindle_ray.run_pipeline(ds, [case], os.path.join(work, "scratch"), parts)
                rows = sorted(ds.take_all(), key=lambda r: r["key"])
                got = b"".join(r["data"] for r in rows)
                if got != want:
                    failures.append("%s, %d lines per block, %d partitions: %d records on Ray, %d on one machine"
                                    % (" ".join(case), lines, parts, got.count(b"\n"), want.count(b"\n")))
                print("%-45s %d blocks, %2d partitions: %d -> %d records (%.1f s)"
                      % (" ".join(case), len(rows), parts, len(corpus()), want.count(b"\n"), time.time() - t), flush=True)
        try:
            ds = spindle_ray.read_jsonl(os.path.join(work, "in", "shard-*.jsonl"), lines_per_block=50)
            spindle_ray.run_pipeline(ds, [["dedup", "--keep", "nosuchfield"]], os.path.join(work, "scratch"), 2)
            failures.append("--keep with a field no document has did not fail")
        except spindle_ray.SpindleError as e:
            if e.exit_code != 65 or "nosuchfield" not in str(e):
                failures.append("--keep nosuchfield: %s" % e)
    finally:
        ray.shutdown()
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
