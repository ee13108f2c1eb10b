"""Spindle's exact and line/paragraph dedup across a Ray cluster, keeping exactly what one machine keeps.

  map      each block is written to WORK/KEY.jsonl and `spindle dedup keys` makes its key lines (exact:
           one per document, KEY = the digest one machine compares; --lines/--paragraphs: one per
           distinct unit of a document), grouped here by partition = key mod P
  shuffle  each map task returns one object per partition; reduce task p takes object p of every map task
  reduce   `spindle dedup repeats` on the partition's lines sorted by key: each key's documents in
           (PATH, LINE) order, the copy one machine keeps chosen by Spindle (the first, or --keep's),
           the others listed (exact: documents; lines: the unit in every document after the first)
  apply    a map over blocks: `spindle dedup apply [--lines|--paragraphs]` with the block's removals
           (units dropped and the document rebuilt, or dropped under --min-remaining, as one machine does)

What one machine removes depends only on which documents hold each key and their order, and every
key's lines meet in one reducer, so any number of blocks and partitions removes the same records.
"""
import argparse
import os
import shutil

from . import binary
from .dedup import _apply, _write, removals_by_block


def parse_key_dedup(args):
    """The options of `dedup [--lines|--paragraphs] ...` the phases take (others are refused, not ignored)."""
    p = argparse.ArgumentParser(prog="spindle-ray dedup", add_help=False)
    p.add_argument("--lines", action="store_true")
    p.add_argument("--paragraphs", action="store_true")
    p.add_argument("--no-normalize", action="store_true")
    p.add_argument("--min-remaining")
    p.add_argument("--keep")
    p.add_argument("--text-field")
    ns, rest = p.parse_known_args(list(args[1:]) if args and args[0] == "dedup" else list(args))
    if rest:
        raise ValueError("spindle-ray: dedup: options not supported across the cluster: %s" % " ".join(rest))
    if ns.lines and ns.paragraphs:
        raise ValueError("spindle-ray: dedup: choose one of --lines, --paragraphs")
    return ns


def _mode(ns):
    return ["--lines"] if ns.lines else ["--paragraphs"] if ns.paragraphs else []


def _key_args(ns):
    out = ["dedup", "keys"] + _mode(ns)
    if ns.no_normalize:
        out.append("--no-normalize")
    if ns.keep and not _mode(ns):
        out += ["--keep", ns.keep]
    if ns.text_field:
        out += ["--text-field", ns.text_field]
    return out


def _apply_args(ns):
    out = _mode(ns)
    if out and ns.min_remaining is not None:
        out += ["--min-remaining", ns.min_remaining]
    if out and ns.text_field:
        out += ["--text-field", ns.text_field]
    return out


def _keys(table, work, args, partitions, exact):
    """Map over one Ray Data block of Spindle blocks: each block's file and its key lines, bucketed by
    partition = key mod `partitions`; the last object counts (documents, documents with a SCORE)."""
    parts = [[] for _ in range(partitions)]
    docs = scored = 0
    for row in table.to_pylist():
        path = os.path.join(work, row["key"] + ".jsonl")
        _write(path, row["data"])
        for line in binary.run(args + [path], b"", block=row).splitlines(keepends=True):
            parts[int(line[:16], 16) % partitions].append(line)
            if exact:   # KEY PATH LINE LENGTH SCORE ID
                docs += 1
                scored += line.rsplit(b"\t", 2)[1] != b"-inf"
    return tuple(b"".join(p) for p in parts) + ((docs, scored),)


def _repeats(part, work, keep, *blobs):
    """Reduce: one partition's key lines from every map task, sorted by key, to its removals."""
    lines = b"".join(blobs).splitlines(keepends=True)
    lines.sort()
    path = os.path.join(work, "keys-%05d.tsv" % part)
    _write(path, b"".join(lines))
    out = binary.run(["dedup", "repeats"] + (["--keep", keep] if keep else []) + [path], b"")
    os.remove(path)
    return out


def key_dedup(ds, args, work_dir, partitions=None):
    """`dedup [--lines|--paragraphs] ARGS` over a dataset of blocks; returns the kept blocks
    (materialized) and the removal list. `work_dir` must be readable and writable by every node."""
    import ray
    ns = parse_key_dedup(args)
    work = os.path.abspath(work_dir)
    os.makedirs(work, exist_ok=True)
    blocks = ds.materialize()
    refs = blocks.to_arrow_refs()
    parts = partitions or max(1, min(64, blocks.count()))
    map_task = ray.remote(_keys).options(num_returns=parts + 1)
    maps = [map_task.remote(t, work, _key_args(ns), parts, not _mode(ns)) for t in refs]
    keep = None if _mode(ns) else ns.keep
    reduce_task = ray.remote(_repeats)
    outs = [reduce_task.remote(p, work, keep, *[m[p] for m in maps]) for p in range(parts)]
    counts = ray.get([m[parts] for m in maps])
    docs, scored = sum(c[0] for c in counts), sum(c[1] for c in counts)
    if keep not in (None, "first", "longest") and docs and not scored:
        # As one machine: a misspelt --keep FIELD would otherwise keep copies by nothing, silently.
        raise binary.SpindleError("spindle dedup failed (exit 65): <stdin>: field '%s': --keep: none of the %d documents "
                                  "has a numeric '%s' field" % (keep, docs, keep), 65)
    removal_list = b"".join(ray.get(outs))
    removals = removals_by_block(removal_list)
    extra = _apply_args(ns)
    kept = blocks.map(lambda r: _apply(r, work, removals, extra)).materialize()
    shutil.rmtree(work, ignore_errors=True)
    return kept, removal_list
