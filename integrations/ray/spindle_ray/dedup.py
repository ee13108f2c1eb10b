"""Spindle's three-phase near-dedup across a Ray cluster, keeping exactly what one machine keeps.

  map      each block is written to WORK/KEY.jsonl and `spindle dedup signatures` makes its signature
           lines (one per document and LSH band, PATH = that file, LINE = the row), grouped here by
           partition = band key mod P (one object per Ray Data block and partition)
  shuffle  each map task returns one object per partition and reduce task p takes object p of every
           map task: Ray's object store carries every line of a band key to its partition's reducer
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
        raise ValueError("spindle-ray: near_dedup runs `dedup --near` (exact and line dedup: spindle_ray.key_dedup)")
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


def _signatures(table, work, opts, partitions):
    """Map, over one Ray Data block of Spindle blocks: each block's file and its signature file (both
    written atomically), and one short line per document and band, bucketed by partition = band key
    mod `partitions`: KEY \t BLOCK \t OFFSET \t LENGTH, where BLOCK's signature file holds, at OFFSET,
    the rest of the document's signature line (PATH ... SIGNATURE, the same for all its bands).
    The last object counts (bytes of signature lines, bytes of band lines): the shuffle's saving."""
    parts = [[] for _ in range(partitions)]
    full = short = 0
    for row in table.to_pylist():
        path = os.path.join(work, row["key"] + ".jsonl")
        _write(path, row["data"])
        sig = binary.run(["dedup", "signatures"] + _flags(opts, _SIG_OPTS) + [path], b"", block=row)
        full += len(sig)
        tails, offsets, at = [], {}, 0
        for line in sig.splitlines(keepends=True):
            tail = line[16:]                      # \t PATH \t LINE ... SIGNATURE \n
            if tail not in offsets:               # a document's band lines are consecutive
                offsets[tail] = at
                tails.append(tail)
                at += len(tail)
            ref = b"%s\t%s\t%d\t%d\n" % (line[:16], row["key"].encode(), offsets[tail], len(tail))
            short += len(ref)
            parts[int(line[:16], 16) % partitions].append(ref)
        _write(os.path.join(work, row["key"] + ".sig"), b"".join(tails))
    return tuple(b"".join(p) for p in parts) + ((full, short),)


def _reduce(part, work, opts, *blobs):
    """Reduce: one partition's band lines from every map task, sorted by band key; the signatures of
    the documents in buckets of two or more read back from the blocks' signature files (a bucket of
    one has no candidate pair: Spindle skips it), then their verified edges."""
    lines = b"".join(blobs).splitlines()
    lines.sort(key=lambda l: l[:16])
    shared = [l for k, l in enumerate(lines)
              if (k > 0 and lines[k - 1][:16] == l[:16]) or (k + 1 < len(lines) and lines[k + 1][:16] == l[:16])]
    files, out = {}, []
    try:
        for l in shared:
            key, block, offset, length = l.split(b"\t")
            f = files.get(block) or files.setdefault(block, open(os.path.join(work, block.decode() + ".sig"), "rb"))
            f.seek(int(offset))
            out.append(key + f.read(int(length)))
    finally:
        for f in files.values():
            f.close()
    path = os.path.join(work, "part-%05d.sig" % part)
    _write(path, b"".join(out))
    edges = binary.run(["dedup", "clusters", "--emit-edges"] + _flags(opts, _CLUSTER_OPTS) + [path], b"")
    os.remove(path)
    return edges, sum(len(l) for l in out) - 16 * len(out)


def _select(work, opts, *edge_blobs):
    paths = []
    for k, blob in enumerate(edge_blobs):
        paths.append(os.path.join(work, "edges-%05d.tsv" % k))
        _write(paths[-1], blob)
    return binary.run(["dedup", "select"] + _flags(opts, _SELECT_OPTS) + paths, b"")


def _apply(row, work, removals, extra=()):
    """One block without its removals (`dedup apply EXTRA`: e.g. --lines for unit removals)."""
    path = os.path.join(work, row["key"] + ".jsonl")
    mine = removals.get(row["key"])
    if not mine:
        with open(path, "rb") as f:
            data = f.read()
        return dict(row, data=data, stages=int(row["stages"]) + 1)
    rpath = path + ".removals"
    _write(rpath, b"".join(mine))
    data = binary.run(["dedup", "apply", "--allow-empty"] + list(extra) + ["--removals", rpath, path], b"", block=row)
    return dict(row, data=data, stages=int(row["stages"]) + 1, aligned=False)


def removals_by_block(removal_list):
    """Removal lines (PATH LINE ...) grouped by the block their PATH names."""
    out = {}
    for line in removal_list.splitlines(keepends=True):
        path = json.loads(line.split(b"\t", 1)[0])
        out.setdefault(os.path.basename(path)[:-len(".jsonl")], []).append(line)
    return out


def near_dedup(ds, args, work_dir, partitions=None, stats=None):
    """`dedup --near ARGS` over a dataset of blocks; returns the kept blocks (materialized) and the
    removal list. `work_dir` must be readable and writable by every node (block files live there while
    the stage runs: the reduce re-reads the documents it verifies exactly)."""
    import ray
    opts = parse_dedup(args)
    work = os.path.abspath(work_dir)
    os.makedirs(work, exist_ok=True)
    blocks = ds.materialize()
    refs = blocks.to_arrow_refs()   # Ray Data's blocks, left in the object store
    parts = partitions or max(1, min(64, blocks.count()))
    # The shuffle: each map task returns one object per partition; reduce task p takes object p of
    # every map task, so Ray's object store moves each partition's lines to its reducer.
    sig_task = ray.remote(_signatures).options(num_returns=parts + 1)
    maps = [sig_task.remote(t, work, opts, parts) for t in refs]
    reduce_task = ray.remote(_reduce).options(num_returns=2)
    reduced = [reduce_task.remote(p, work, opts, *[m[p] for m in maps]) for p in range(parts)]
    edges = [e for e, _ in reduced]
    if stats is not None:
        sizes = ray.get([m[parts] for m in maps])
        stats.update(signature_bytes=sum(s[0] for s in sizes), shuffle_bytes=sum(s[1] for s in sizes),
                     fetched_bytes=sum(ray.get([f for _, f in reduced])))
    removal_list = ray.get(ray.remote(_select).remote(work, opts, *edges))
    removals = removals_by_block(removal_list)
    kept = blocks.map(lambda r: _apply(r, work, removals)).materialize()
    shutil.rmtree(work, ignore_errors=True)
    return kept, removal_list
