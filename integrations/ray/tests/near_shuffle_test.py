"""Near-dedup on a local Ray instance against `spindle dedup --near` on one machine, with the bytes the
shuffle moves: band lines (KEY, block, offset, length) against the full signature lines a shuffle of
`dedup signatures` output would move, and the signature bytes the reducers read back for buckets of two
or more.

  python near_shuffle_test.py SPINDLE_BIN SHARED_DATA_DIR WORK_DIR
Exit 0: passed; 1: a difference (printed); 77: skipped (no ray, no data).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
sys.path.insert(0, PKG)
sys.path.insert(0, HERE)
SKIP = 77


def main():
    spindle, data, work = sys.argv[1:4]
    try:
        import ray
    except ImportError:
        print("skip: ray is not installed")
        return SKIP
    if not os.path.exists(os.path.join(data, "pretrain/en/c4_demo.jsonl")):
        print("skip: no %s/pretrain/en/c4_demo.jsonl" % data)
        return SKIP
    import spindle_ray
    from cluster_test import build_shards, one_machine
    files = build_shards(data, os.path.join(work, "in"))
    ingest = ["ingest", "--format", "jsonl", "--source", "web"]
    want = one_machine(spindle, files, [ingest, ["dedup", "--near"]])
    os.environ["SPINDLE_BIN"] = spindle
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"SPINDLE_BIN": spindle, "PYTHONPATH": PKG, "RAY_USAGE_STATS_ENABLED": "0"}})
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    failures = []
    try:
        for lines, parts in [(40, 3), (17, 16), (1000, 1)]:
            ds = spindle_ray.read_jsonl(os.path.join(work, "in", "shard-*"), lines_per_block=lines)
            ds = spindle_ray.run_stage(ds, ingest)
            stats = {}
            ds, _ = spindle_ray.near_dedup(ds, ["dedup", "--near"], os.path.join(work, "scratch"), parts, stats)
            got = b"".join(r["data"] for r in sorted(ds.take_all(), key=lambda r: r["key"]))
            docs = ingest_docs = subprocess.run([spindle] + ingest + files, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE, check=True).stdout.count(b"\n")
            if got != want:
                failures.append("%d lines per block, %d partitions: %d records on Ray, %d on one machine"
                                % (lines, parts, got.count(b"\n"), want.count(b"\n")))
            print("%4d lines per block, %2d partitions: %d documents, %d kept; shuffled %d bytes of band lines "
                  "(%.0f per document) instead of %d bytes of signature lines (%.0f per document, %.1fx); "
                  "reducers read back %d signature bytes"
                  % (lines, parts, docs, got.count(b"\n"), stats["shuffle_bytes"], stats["shuffle_bytes"] / ingest_docs,
                     stats["signature_bytes"], stats["signature_bytes"] / ingest_docs,
                     stats["signature_bytes"] / stats["shuffle_bytes"], stats["fetched_bytes"]), flush=True)
    finally:
        ray.shutdown()
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
