"""Spindle blocks on Ray Data: one dataset row per block, the bytes of a run of JSONL lines and where
they came from. Ray moves, shuffles and retries rows; it never looks inside the lines.

A block row: key (sorts in the input's order: file rank, then block rank in the file), src (the input
file), first (its first line's number there), lines (how many lines it started with), stages (how many
stages have run on it), aligned (its lines are still its source's lines, one for one), data (JSONL bytes).
"""
import glob as globmod
import gzip
import hashlib
import json
import os
import subprocess

DEFAULT_LINES_PER_BLOCK = 2000


def input_files(pattern):
    """The files a glob names, sorted by path (the order `spindle` reads several FILEs in)."""
    files = sorted(p for p in globmod.glob(pattern) if os.path.isfile(p))
    if not files:
        raise FileNotFoundError("spindle-ray: %s: no input files" % pattern)
    return files


def read_bytes(path):
    """A file's bytes, zstd or gzip decompressed (by magic number, as spindle does)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def split_file(rank, path, lines_per_block):
    """The blocks of one input file: runs of `lines_per_block` lines, cut only at line ends."""
    data = read_bytes(path)
    lines = data.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    out = []
    for k, start in enumerate(range(0, len(lines), lines_per_block)):
        chunk = lines[start:start + lines_per_block]
        blank = any(not l.strip() for l in chunk)
        out.append({"key": "%06d-%09d" % (rank, k), "src": path, "first": start + 1, "lines": len(chunk),
                    "stages": 0, "aligned": not blank, "data": b"".join(chunk)})
    return out


def read_jsonl(pattern, lines_per_block=DEFAULT_LINES_PER_BLOCK):
    """A dataset of Spindle blocks from the JSONL(.zst/.gz) files `pattern` names (on a path every node
    can read). Files are split into blocks on the workers."""
    import ray
    files = input_files(pattern)
    ds = ray.data.from_items([{"rank": i, "path": p} for i, p in enumerate(files)], override_num_blocks=len(files))
    # One Spindle block per Ray Data block: each later map task handles one block, so a few large
    # files still spread over every worker (order is kept: this repartition neither shuffles nor sorts).
    return ds.flat_map(lambda r: split_file(r["rank"], r["path"], lines_per_block)).repartition(target_num_rows_per_block=1)


def _atomic_write(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_block(row, out_dir, compress):
    """Writes one block as a shard (atomically: a retried task rewrites the same bytes under the same
    name); returns the shard's manifest entry."""
    data = row["data"]
    name = "part-%s.jsonl%s" % (row["key"], ".zst" if compress else "")
    body = data
    if compress:
        body = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True, stdout=subprocess.PIPE).stdout
    _atomic_write(os.path.join(out_dir, name), body)
    return {"key": row["key"], "shard": name, "records": data.count(b"\n"), "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(), "src": row["src"], "first": int(row["first"]),
            "input_lines": int(row["lines"])}


def write_jsonl(ds, out_dir, compress=False, extra=None):
    """Writes every block of `ds` to OUT_DIR/part-KEY.jsonl[.zst] and OUT_DIR/manifest.json (shards in
    input order with records, bytes and SHA-256; the concatenation of the shards in that order is
    what one machine writes). Returns the manifest."""
    os.makedirs(out_dir, exist_ok=True)
    entries = ds.map(lambda r: write_block(r, out_dir, compress)).take_all()
    entries.sort(key=lambda e: e["key"])
    manifest = dict(extra or {})
    manifest.update({"shards": [{k: e[k] for k in ("shard", "records", "bytes", "sha256", "src", "first")} for e in entries],
                     "records": sum(e["records"] for e in entries),
                     "input_lines": sum(e["input_lines"] for e in entries)})
    _atomic_write(os.path.join(out_dir, "manifest.json"), (json.dumps(manifest, indent=1) + "\n").encode())
    return manifest
