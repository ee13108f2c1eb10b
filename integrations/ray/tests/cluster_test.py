"""The two-node loopback test: `ingest -> dedup --near -> pii -> upsample` on a real Ray cluster against
the same pipeline on one machine, over shards built from ../shared/data; a worker killed mid-run once.

  python cluster_test.py SPINDLE_BIN SHARED_DATA_DIR WORK_DIR
Exit 0: passed; 1: a difference (printed); 77: skipped (no ray, no data).
"""
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SKIP = 77


def build_shards(data, out):
    """Four shards (plain, plain, zstd, gzip) of C4 web pages without ids, Wikipedia articles with ids
    and source `wiki`, edited copies of a quarter of them in another shard (near duplicates across
    files and blocks), contact details for pii to redact, and boilerplate lines for line dedup."""
    rng = random.Random(7)
    web = [json.loads(l) for l in open(os.path.join(data, "pretrain/en/c4_demo.jsonl"), encoding="utf-8") if l.strip()]
    wiki = [l.strip() for l in open(os.path.join(data, "pretrain/en/wiki_demo.txt"), encoding="utf-8") if l.strip()][:40]
    docs = [{"text": d["text"]} for d in web[:160]]
    docs += [{"id": "wiki-%d" % i, "text": t[:3000], "source": "wiki"} for i, t in enumerate(wiki)]
    for k in range(0, len(docs), 9):
        docs[k] = dict(docs[k], text=docs[k]["text"] + " Write to jane.doe%d@example.com or call (415) 555-0132." % k)
    for k in range(2, len(docs), 5):   # boilerplate lines for line dedup
        docs[k] = dict(docs[k], text="Cookie notice: this site uses cookies.\n" + docs[k]["text"] + "\nShare this page: Facebook, Twitter, Email")
    docs[7] = dict(docs[7], text="Share this page: Facebook, Twitter, Email")
    shards = [[], [], [], []]
    for k, d in enumerate(docs):
        shards[k % 4].append(d)
        if k % 4 == 0:
            words = d["text"].split()
            for _ in range(max(1, len(words) // 60)):
                words[rng.randrange(len(words))] = "edited"
            copy = dict(d, text=" ".join(words))
            if "id" in copy:
                copy["id"] += "-copy"
            shards[(k + 1 + rng.randrange(3)) % 4].append(copy)
    os.makedirs(out, exist_ok=True)
    for i, s in enumerate(shards):
        body = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in s).encode()
        path = os.path.join(out, "shard-%d.jsonl" % i)
        if i == 2:
            subprocess.run(["zstd", "-q", "-f", "-o", path + ".zst"], input=body, check=True)
        elif i == 3:
            with gzip.open(path + ".gz", "wb") as f:
                f.write(body)
        else:
            with open(path, "wb") as f:
                f.write(body)
    return sorted(os.path.join(out, f) for f in os.listdir(out))


def one_machine(spindle, files, stages):
    """The same chain as unix pipes on this machine."""
    data = None
    for k, args in enumerate(stages):
        argv = [spindle] + args + (files if k == 0 else [])
        p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(argv), p.stderr.decode()))
        data = p.stdout
    return data


def cluster_output(out_dir):
    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    return b"".join(open(os.path.join(out_dir, s["shard"]), "rb").read() for s in manifest["shards"]), manifest


def spindle_ray(address, pattern, out_dir, stages, extra, env):
    argv = [sys.executable, "-m", "spindle_ray.cli", "--address", address, "--input", pattern, "--output", out_dir] + extra
    for k, s in enumerate(stages):
        argv += (["::"] if k else []) + s
    t = time.time()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("spindle-ray failed (%d): %s" % (p.returncode, p.stderr.decode()[-3000:]))
    return time.time() - t


class Killer(threading.Thread):
    """Kills, once, the Ray worker running a partition's reduce (found as the parent of the slowed
    `dedup clusters --emit-edges` process of this test): the task dies mid-run and Ray retries it."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.killed, self.stop = work, None, False

    def run(self):
        while not self.stop and self.killed is None:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    cmd = open("/proc/%s/cmdline" % pid, "rb").read()
                    ppid = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if b"emit-edges" in cmd and self.work.encode() in cmd and b"spindle-slow" in cmd:
                    os.kill(ppid, signal.SIGKILL)   # the Ray worker executing the task
                    os.kill(int(pid), signal.SIGKILL)
                    self.killed = ppid
                    return
            time.sleep(0.05)


def main():
    spindle, data, work = sys.argv[1:4]
    try:
        import ray  # noqa: F401
    except ImportError:
        print("skip: ray is not installed (pip install 'ray[data]')")
        return SKIP
    if not os.path.exists(os.path.join(data, "pretrain/en/c4_demo.jsonl")):
        print("skip: no %s/pretrain/en/c4_demo.jsonl" % data)
        return SKIP
    sys.path.insert(0, HERE)
    from cluster import LocalCluster
    files = build_shards(data, os.path.join(work, "in"))
    pattern = os.path.join(work, "in", "shard-*")
    full = [["ingest", "--format", "jsonl", "--source", "web"], ["dedup", "--near"], ["pii", "--action", "redact"],
            ["upsample", "--weights", "wiki=2.5,web=1"]]
    ref_full = one_machine(spindle, files, full)
    ref_kept = one_machine(spindle, files, full[:3])
    lines = full[:3] + [["dedup", "--lines", "--min-remaining", "0.2"]]
    ref_lines = one_machine(spindle, files, lines)
    if ref_lines == ref_kept:
        print("FAIL: the input has no repeated lines for dedup --lines to remove")
        return 1
    slow = os.path.join(work, "spindle-slow")
    with open(slow, "w") as f:
        f.write('#!/bin/sh\ncase "$*" in *--emit-edges*) sleep 4;; esac\nexec "%s" "$@"\n' % spindle)
    os.chmod(slow, 0o755)
    env = dict(os.environ, SPINDLE_BIN=spindle, PYTHONPATH=PKG + os.pathsep + os.environ.get("PYTHONPATH", ""),
               RAY_USAGE_STATS_ENABLED="0")
    # Ray's socket paths must stay under 108 bytes: a short temp dir of its own.
    import tempfile
    cluster = LocalCluster(tempfile.mkdtemp(prefix="sray-", dir="/tmp"), env=env)
    failures = []
    try:
        # 1. The whole pipeline, byte for byte: upsample's copy rounds in the one-machine order.
        t1 = spindle_ray(cluster.address, pattern, os.path.join(work, "out1"), full, ["--lines-per-block", "40"], env)
        got, manifest = cluster_output(os.path.join(work, "out1"))
        if got != ref_full:
            failures.append("full pipeline: %d records on the cluster, %d on one machine, or different bytes or order"
                            % (got.count(b"\n"), ref_full.count(b"\n")))
        # 2. Through pii, then line dedup (hash keys shuffled by Ray): other block size and partitions.
        t2 = spindle_ray(cluster.address, pattern, os.path.join(work, "out2"), lines,
                         ["--lines-per-block", "17", "--partitions", "3", "--compress"], env)
        got2 = b"".join(subprocess.run(["zstd", "-dcq", os.path.join(work, "out2", s["shard"])], check=True,
                                       stdout=subprocess.PIPE).stdout
                        for s in json.load(open(os.path.join(work, "out2", "manifest.json")))["shards"])
        if got2 != ref_lines:
            failures.append("ingest|dedup --near|pii|dedup --lines: cluster output differs from one machine's (%d vs %d records)"
                            % (got2.count(b"\n"), ref_lines.count(b"\n")))
        # 3. A worker killed mid-reduce: Ray retries its task; the output is unchanged.
        wdir = os.path.join(work, "out3", ".spindle-ray")
        killer = Killer(wdir)
        killer.start()
        env3 = dict(env, SPINDLE_BIN=slow)
        t3 = spindle_ray(cluster.address, pattern, os.path.join(work, "out3"), full[:3],
                         ["--lines-per-block", "25", "--partitions", "2", "--work-dir", wdir], env3)
        killer.stop = True
        got3, _ = cluster_output(os.path.join(work, "out3"))
        if killer.killed is None:
            failures.append("the kill run never saw a reduce task to kill")
        if got3 != ref_kept:
            failures.append("after a killed worker: output differs from one machine's")
        # 4. A bad line fails the job with Spindle's own message at the line's place in its file.
        bad_dir = os.path.join(work, "bad")
        os.makedirs(bad_dir)
        good = open(files[0], "rb").read().splitlines(keepends=True)[:50]
        good[36] = b'{"body": "no text field"}\n'
        open(os.path.join(bad_dir, "shard-0.jsonl"), "wb").write(b"".join(good))
        try:
            spindle_ray(cluster.address, os.path.join(bad_dir, "*.jsonl"), os.path.join(work, "out4"), full[:1],
                        ["--lines-per-block", "10"], env)
            failures.append("a bad line did not fail the job")
        except RuntimeError as e:
            want = "%s:37: field 'text'" % os.path.join(bad_dir, "shard-0.jsonl")
            if "(65)" not in str(e) or want not in str(e):
                failures.append("bad line: expected exit 65 and %r, got: %s" % (want, str(e)[-600:]))
            if os.path.exists(os.path.join(work, "out4", "manifest.json")):
                failures.append("bad line: a manifest was written for a failed job")
        removed = ref_full.count(b"\n")
        print("cluster runs: %.1f s, %.1f s, %.1f s (killed worker pid %s); %d records kept through pii, %d after upsample; "
              "%d shards; dedup --lines rewrote %d records, dropped %d"
              % (t1, t2, t3, killer.killed, ref_kept.count(b"\n"), removed, len(manifest["shards"]),
                 len(set(ref_lines.splitlines()) - set(ref_kept.splitlines())), ref_kept.count(b"\n") - ref_lines.count(b"\n")))
    finally:
        cluster.stop()
        import shutil
        shutil.rmtree(cluster.temp_dir, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
