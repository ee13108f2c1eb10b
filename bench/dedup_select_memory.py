"""Peak memory of `spindle dedup select` (dedup's single reduce step) against the number of edges:
synthetic edge files in the layout `dedup clusters --emit-edges` writes, with spindle-ray's block paths
and ingest-style ids; pairs of documents (2k, 2k+1) plus a chain every 10th, so endpoints ~ 2 x edges.

  python bench/dedup_select_memory.py SPINDLE_BIN WORK_DIR [EDGES...]
"""
import os
import subprocess
import sys


def write_edges(path, edges):
    with open(path, "w") as f:
        for k in range(edges):
            a, b = 2 * k, 2 * k + 1
            if k % 10 == 9:
                a = 2 * k - 1          # joins this pair to the previous one: components of 4
            def node(d):
                blk, line = divmod(d, 2000)
                return '"/shared/work/stage-01/%06d-%09d.jsonl"\t%d\t"web:/shared/crawl/shard-%05d.jsonl.zst:%d"\t%d\t-inf' % (
                    blk // 100, blk % 100, line + 1, blk // 100, d, 3000 + d % 997)
            f.write("%s\t%s\t%.6f\testimate\n" % (node(a), node(b), 0.9 + (k % 7) / 100))


def peak_kb(argv):
    code = ("import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return int(subprocess.run([sys.executable, "-c", code] + argv, stdout=subprocess.PIPE, check=True).stdout)


def main():
    spindle, work = sys.argv[1:3]
    sizes = [int(x) for x in sys.argv[3:]] or [10_000, 1_000_000]
    os.makedirs(work, exist_ok=True)
    base = None
    print("| edges | endpoints | peak RSS MB | bytes per endpoint over the smallest |\n|---|---|---|---|")
    for n in sizes:
        path = os.path.join(work, "edges-%d.tsv" % n)
        write_edges(path, n)
        kb = peak_kb([spindle, "dedup", "select", path])
        endpoints = 2 * n - n // 10
        if base is None:
            base = (kb, endpoints)
            extra = ""
        else:
            extra = "%.0f" % ((kb - base[0]) * 1024 / (endpoints - base[1]))
        print("| %d | %d | %.1f | %s |" % (n, endpoints, kb / 1024, extra))
        os.remove(path)


if __name__ == "__main__":
    main()
