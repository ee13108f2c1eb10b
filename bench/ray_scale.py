"""spindle-ray scaling on this machine: the bare binary against Ray with one and two worker nodes on
loopback (and one node with two CPUs), same input; near-dedup and exact+line dedup pipelines; Ray's cost per block; the memory of dedup's single reduce step (`dedup select`).

  python bench/ray_scale.py SPINDLE_BIN SHARED_DATA_DIR WORK_DIR [MB]
Timed runs hold /work/bench.lock (flock(2), the lock `flock /work/bench.lock` takes) one at a time;
cluster start-up is outside the lock and outside the figures. Prints a markdown table.
"""
import fcntl
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(os.path.dirname(HERE), "integrations", "ray")
sys.path.insert(0, os.path.join(PKG, "tests"))
from cluster import LocalCluster  # noqa: E402

LOCK = "/work/bench.lock"
PIPE = [["ingest", "--format", "jsonl", "--source", "web"], ["dedup", "--near"], ["pii", "--action", "redact"]]
# Exact and line dedup (hash keys shuffled by Ray), then pii.
KEYS = [["ingest", "--format", "jsonl", "--source", "web"], ["dedup"], ["dedup", "--lines"], ["pii", "--action", "redact"]]
# (label, nodes, CPUs per node): one worker; two workers on one node; two nodes of one worker each.
CLUSTERS = [("1 node x 1 CPU", 1, 1), ("1 node x 2 CPUs", 1, 2), ("2 nodes x 1 CPU", 2, 1)]


def corpus(data, out, mb):
    """4 shards of ~MB/4 each: C4 pages, Wikipedia articles, WikiText paragraphs and Shakespeare in
    40-line pieces, repeated with 30% of words replaced (distinct documents) and a near copy (2%
    replaced) of every 10th."""
    rng = random.Random(3)
    base = [json.loads(l)["text"] for l in open(os.path.join(data, "pretrain/en/c4_demo.jsonl"), encoding="utf-8") if l.strip()]
    base += [l.strip() for l in open(os.path.join(data, "pretrain/en/wiki_demo.txt"), encoding="utf-8") if len(l) > 200]
    para = [l.strip() for l in open(os.path.join(data, "pretrain/en/wikitext-2/valid.txt"), encoding="utf-8") if len(l) > 400]
    base += para
    lines = open(os.path.join(data, "pretrain/en/tinyshakespeare/input.txt"), encoding="utf-8").read().splitlines()
    base += [" ".join(lines[i:i + 40]) for i in range(0, len(lines), 40)]

    def edit(t, frac):
        w = t.split()
        for _ in range(max(1, int(len(w) * frac))):
            w[rng.randrange(len(w))] = "w%d" % rng.randrange(100000)
        return " ".join(w)

    os.makedirs(out, exist_ok=True)
    shards = [open(os.path.join(out, "shard-%d.jsonl" % k), "w", encoding="utf-8") for k in range(4)]
    size, n, rep = 0, 0, 0
    while size < mb * 1e6:
        for i, t in enumerate(base):
            doc = t if rep == 0 else edit(t, 0.3)
            for d in [doc] + ([edit(doc, 0.02)] if i % 10 == 0 else []):
                line = json.dumps({"text": d}, ensure_ascii=False) + "\n"
                shards[n % 4].write(line)
                size += len(line.encode())
                n += 1
        rep += 1
    for f in shards:
        f.close()
    return sorted(os.path.join(out, f) for f in os.listdir(out)), n, size


class Locked:
    def __enter__(self):
        self.f = open(LOCK, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *a):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def timed(fn):
    with Locked():
        t = time.perf_counter()
        r = fn()
        return time.perf_counter() - t, r


def pipes(spindle, files, stages, out):
    """The stages as one shell pipeline on this machine."""
    cmd = " | ".join(" ".join([spindle] + s + (files if k == 0 else [])) for k, s in enumerate(stages)) + " > " + out
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True, stderr=subprocess.DEVNULL)


def per_block(spindle, files, stage, lines_per_block):
    """`spindle STAGE` spawned once per block, one after another (what Ray's tasks do, without Ray)."""
    for f in files:
        lines = open(f, "rb").read().splitlines(keepends=True)
        for s in range(0, len(lines), lines_per_block):
            subprocess.run([spindle] + stage + ["--allow-empty"], input=b"".join(lines[s:s + lines_per_block]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def ray_run(address, pattern, out, stages, lpb, env):
    argv = [sys.executable, "-m", "spindle_ray.cli", "--address", address, "--input", pattern, "--output", out,
            "--lines-per-block", str(lpb)]
    for k, s in enumerate(stages):
        argv += (["::"] if k else []) + s
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def select_memory(spindle, files, work, parts=8):
    """Peak RSS of each phase run locally on the same input: signatures, one partition's
    `clusters --emit-edges`, the single `select` over all edges, and the one-shot run."""
    def rss(argv, out):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(out, "wb") as f:
            subprocess.run(argv, stdout=f, stderr=subprocess.DEVNULL, check=True)
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before
    docs = os.path.join(work, "docs.jsonl")
    pipes(spindle, files, PIPE[:1], docs)
    sig = os.path.join(work, "sig.tsv")
    rss([spindle, "dedup", "signatures", docs], sig)
    buckets = [[] for _ in range(parts)]
    for line in open(sig, "rb"):
        buckets[int(line[:16], 16) % parts].append(line)
    edges, lines = [], 0
    for p, b in enumerate(buckets):
        b.sort(key=lambda l: l[:16])
        open(os.path.join(work, "p%d.tsv" % p), "wb").write(b"".join(b))
        edges.append(os.path.join(work, "e%d.tsv" % p))
        subprocess.run([spindle, "dedup", "clusters", "--emit-edges", os.path.join(work, "p%d.tsv" % p)],
                       stdout=open(edges[-1], "wb"), stderr=subprocess.DEVNULL, check=True)
        lines += sum(1 for _ in open(edges[-1], "rb"))
    # ru_maxrss of children is the largest child so far: measure select in a fresh process tree.
    code = ("import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    sel = int(subprocess.run([sys.executable, "-c", code, spindle, "dedup", "select"] + edges, stdout=subprocess.PIPE, check=True).stdout)
    one = int(subprocess.run([sys.executable, "-c", code, spindle, "dedup", "--near", docs], stdout=subprocess.PIPE, check=True).stdout)
    return {"edge_lines": lines, "select_kb": sel, "one_shot_kb": one, "docs": sum(1 for _ in open(docs, "rb"))}


def main():
    spindle, data, work = sys.argv[1:4]
    mb = float(sys.argv[4]) if len(sys.argv) > 4 else 12
    files, n, size = corpus(data, os.path.join(work, "in"), mb)
    pattern = os.path.join(work, "in", "shard-*.jsonl")
    lpb = 2000
    blocks = sum((sum(1 for _ in open(f, "rb")) + lpb - 1) // lpb for f in files)
    env = dict(os.environ, SPINDLE_BIN=spindle, PYTHONPATH=PKG, RAY_USAGE_STATS_ENABLED="0")
    rows = {}
    rows["bare pii"], _ = timed(lambda: pipes(spindle, files, [["pii", "--action", "redact"]], os.path.join(work, "b1.jsonl")))
    rows["bare pii, spawned per block"], _ = timed(lambda: per_block(spindle, files, ["pii", "--action", "redact"], lpb))
    rows["bare pii, spawned per 250-line block"], _ = timed(lambda: per_block(spindle, files, ["pii", "--action", "redact"], 250))
    small = sum((sum(1 for _ in open(f, "rb")) + 249) // 250 for f in files)
    rows["bare pipeline"], _ = timed(lambda: pipes(spindle, files, PIPE, os.path.join(work, "b2.jsonl")))
    rows["bare exact+lines pipeline"], _ = timed(lambda: pipes(spindle, files, KEYS, os.path.join(work, "b3.jsonl")))
    outs = []
    for label, nodes, cpus in CLUSTERS:
        tmp = tempfile.mkdtemp(prefix="sbench-", dir="/tmp")
        c = LocalCluster(tmp, nodes=nodes, cpus_per_node=cpus, env=env)
        tag = "%d%d" % (nodes, cpus)
        try:
            ray_run(c.address, pattern, os.path.join(work, "warm" + tag), [["pii"]], lpb, env)  # workers up
            rows["ray pii, " + label], _ = timed(lambda: ray_run(c.address, pattern, os.path.join(work, "r" + tag),
                                                                  [["pii", "--action", "redact"]], lpb, env))
            if (nodes, cpus) == (1, 1):
                rows["ray pii, 1 node, 250-line blocks"], _ = timed(lambda: ray_run(c.address, pattern, os.path.join(work, "s1"),
                                                                                    [["pii", "--action", "redact"]], 250, env))
            rows["ray pipeline, " + label], _ = timed(lambda: ray_run(c.address, pattern, os.path.join(work, "q" + tag),
                                                                       PIPE, lpb, env))
            rows["ray exact+lines pipeline, " + label], _ = timed(lambda: ray_run(
                c.address, pattern, os.path.join(work, "k" + tag), KEYS, lpb, env))
            outs += [("b2.jsonl", "q" + tag), ("b3.jsonl", "k" + tag)]
        finally:
            c.stop()
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    same = all(open(os.path.join(work, ref), "rb").read() == b"".join(
        open(os.path.join(work, d, s["shard"]), "rb").read()
        for s in json.load(open(os.path.join(work, d, "manifest.json")))["shards"]) for ref, d in outs)
    mem = select_memory(spindle, files, work)
    print("input: %d documents, %.1f MB, 4 shards, %d blocks of %d lines; cluster output == one machine: %s"
          % (n, size / 1e6, blocks, lpb, same))
    print("| run | seconds | MB/s |\n|---|---|---|")
    for k, v in rows.items():
        print("| %s | %.2f | %.1f |" % (k, v, size / 1e6 / v))
    ray_extra = rows["ray pii, 1 node, 250-line blocks"] - rows["ray pii, 1 node x 1 CPU"]
    bare_extra = rows["bare pii, spawned per 250-line block"] - rows["bare pii, spawned per block"]
    print("per block, from %d to %d blocks: Ray %.1f ms, of which spawning spindle %.1f ms; fixed cost of a spindle-ray job (pii, 1 node): %.1f s"
          % (blocks, small, 1000 * ray_extra / (small - blocks), 1000 * bare_extra / (small - blocks),
             rows["ray pii, 1 node x 1 CPU"] - blocks * ray_extra / (small - blocks) - rows["bare pii, spawned per block"]))
    print("dedup select: %d edge lines over %d documents, peak RSS %.1f MB (one-shot dedup --near: %.1f MB)"
          % (mem["edge_lines"], mem["docs"], mem["select_kb"] / 1024, mem["one_shot_kb"] / 1024))


if __name__ == "__main__":
    main()
