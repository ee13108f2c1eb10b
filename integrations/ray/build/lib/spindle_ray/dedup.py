"""Spindle's three-phase near-dedup across a Ray cluster, keeping exactly what one machine keeps.

  map      each block is written to WORK/KEY.jsonl and `spindle dedup signatures` makes its signature
           lines (one per document and LSH band, PATH = that file, LINE = the row), grouped here by
           partition = band key mod P (one row per block and partition)
  shuffle  Ray's groupby on the partition: each reducer gets every line of its band keys
  reduce   `spindle dedup clusters --emit-edges` on the partition's lines sorted by band key: candidate
           pairs verified (the ambiguous ones exactly, reading the two documents' block files again)
  select   one `spindle dedup select` over every partition's edges: the kept set, chosen on the graph as
           one machine chooses it; it holds the edges and their endpoints only
  apply    a map over blocks: `spindle dedup apply` with the block's removals

The block files sort in input order (KEY is file rank, then block rank) and LINE is the row, so
(PATH, LINE) orders documents exactly as a one-machine run over the same files in sorted order.
"""
import argparse
import json
import os
import shutil

from . import binary

_SIG_OPTS = ["threshold", "ngram", "num-perm", "bands", "rows", "seed", "keep", "text-field", "estimate-margin"]
_CLUSTER_OPTS = ["threshold", "verify", "exact-band", "ngram", "text-field", "keep", "estimate-margin", "select"]
_SELECT_OPTS = ["keep", "select"]


def parse_dedup(args):
    """The options of `dedup --near ...` that the phases take (others are refused, not ignored)."""
    p = argparse.ArgumentParser(prog="spindle-ray dedup", add_help=False)
    p.add_argument("--near", action="store_true")
    for o in sorted(set(_SIG_OPTS + _CLUSTER_OPTS)):
        p.add_argument("--" + o)
    ns, rest = p.parse_known_args(list(args[1:]) if args and args[0] == "dedup" else list(args))
    if not ns.near:
        raise ValueError("spindle-ray: only `dedup --near` runs across the cluster (exact and line dedup: docs/SCALE.md)")
    if rest:
        raise ValueError("spindle-ray: dedup --near: options not supported across the cluster: %s" % " ".join(rest))
    return {o: getattr(ns, o.replace("-", "_")) for o in set(_SIG_OPTS + _CLUSTER_OPTS) if getattr(ns, o.replace("-", "_")) is not None}


def _flags(opts, names):
    out = []
    for n in names:
        if n in opts:
            out += ["--" + n, opts[n]]
    return out


def _write(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _signatures(row, work, opts, partitions):
    """Map: the block's file (written atomically) and its signature lines, bucketed by partition."""
    path = os.path.join(work, row["key"] + ".jsonl")
    _write(path, row["data"])
    sig = binary.run(["dedup", "signatures"] + _flags(opts, _SIG_OPTS) + [path], b"", block=row)
    parts = {}
    for line in sig.splitlines(keepends=True):
        parts.setdefault(int(line[:16], 16) % partitions, []).append(line)
    return [{"part": p, "blob": b"".join(v)} for p, v in sorted(parts.items())]


def _reduce(batch, work, opts):
    """Reduce: one partition's signature lines, sorted by band key, to its verified edges."""
    part = int(batch["part"][0])
    lines = b"".join(batch["blob"]).splitlines(keepends=True)
    lines.sort(key=lambda l: l[:16])
    path = os.path.join(work, "part-%05d.sig" % part)
    _write(path, b"".join(lines))
    edges = binary.run(["dedup", "clusters", "--emit-edges"] + _flags(opts, _CLUSTER_OPTS) + [path], b"")
    os.remove(path)
    return {"part": [part], "edges": [edges]}


def _select(edge_blobs, work, opts):
    paths = []
    for k, blob in enumerate(edge_blobs):
        paths.append(os.path.join(work, "edges-%05d.tsv" % k))
        _write(paths[-1], blob)
    return binary.run(["dedup", "select"] + _flags(opts, _SELECT_OPTS) + paths, b"")


def _apply(row, work, removals):
    path = os.path.join(work, row["key"] + ".jsonl")
    mine = removals.get(row["key"])
    if not mine:
        with open(path, "rb") as f:
            data = f.read()
        return dict(row, data=data, stages=int(row["stages"]) + 1)
    rpath = path + ".removals"
    _write(rpath, b"".join(mine))
    data = binary.run(["dedup", "apply", "--allow-empty", "--removals", rpath, path], b"", block=row)
    return dict(row, data=data, stages=int(row["stages"]) + 1, aligned=False)


def removals_by_block(removal_list):
    """Removal lines (PATH LINE ...) grouped by the block their PATH names."""
    out = {}
    for line in removal_list.splitlines(keepends=True):
        path = json.loads(line.split(b"\t", 1)[0])
        out.setdefault(os.path.basename(path)[:-len(".jsonl")], []).append(line)
    return out


def near_dedup(ds, args, work_dir, partitions=None):
    """`dedup --near ARGS` over a dataset of blocks; returns the kept blocks (materialized) and the
    removal list. `work_dir` must be readable and writable by every node (block files live there while
    the stage runs: the reduce re-reads the documents it verifies exactly)."""
    import ray
    opts = parse_dedup(args)
    work = os.path.abspath(work_dir)
    os.makedirs(work, exist_ok=True)
    # The rows keep no copy of the data: the block files are re-read by apply.
    blocks = ds.materialize()
    nblocks = blocks.count()
    parts = partitions or max(1, min(64, nblocks))
    sigs = blocks.flat_map(lambda r: _signatures(r, work, opts, parts))
    edges = sigs.groupby("part").map_groups(lambda b: _reduce(b, work, opts), batch_format="numpy")
    blobs = [r["edges"] for r in sorted(edges.take_all(), key=lambda r: r["part"])]
    select = ray.remote(num_cpus=1)(_select)
    removal_list = ray.get(select.remote(blobs, work, opts))
    removals = removals_by_block(removal_list)
    kept = blocks.map(lambda r: _apply(r, work, removals)).materialize()
    shutil.rmtree(work, ignore_errors=True)
    return kept, removal_list
