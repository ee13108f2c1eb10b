"""`run_stage`: a Spindle data stage as a map over blocks (each block piped through the binary)."""
import os
import shutil
import tempfile

from . import binary

# Commands that take Spindle's input options (--stdin-name/--stdin-line, --allow-empty).
_INPUT_COMMANDS = {"ingest", "pii", "upsample", "convert", "validate", "classify", "dedup"}
# Stages that may write a record more than once or reorder records: after them a block's lines are no
# longer its source's lines even when the count is unchanged.
_REORDERING = {"upsample"}


def _takes_input_options(args):
    return bool(args) and args[0] in _INPUT_COMMANDS


def _run_block(row, args, extra=()):
    named = bool(row["aligned"]) and _takes_input_options(args)
    if _takes_input_options(args):
        # One block may legitimately lose every record; the whole run is checked at the end.
        args = args + ["--allow-empty"]
    return binary.run(args + list(extra), row["data"], block=row, name_stdin=named)


def stage_block(row, args):
    """One block through `spindle ARGS`: the new block (same key and origin)."""
    args = list(args)
    out = _run_block(row, args)
    n_in, n_out = row["data"].count(b"\n"), out.count(b"\n")
    aligned = bool(row["aligned"]) and n_in == n_out and args[0] not in _REORDERING
    return dict(row, data=out, stages=int(row["stages"]) + 1, aligned=aligned)


def round_key(k, key):
    """The key of round k of a block: sorts round by round, then in the block's order."""
    return "r%05d.%s" % (k, key)


def upsample_block(row, args):
    """One block through `spindle upsample`, cut into its copy rounds (Spindle writes the records of
    each round with --round-records). One machine writes round 1 of the whole stream, then round 2,
    ...; block KEY's round k becomes block r0000k.KEY, so the blocks in key order are that order."""
    tmp = tempfile.mkdtemp(prefix="spindle-ray-")
    try:
        counts_path = os.path.join(tmp, "rounds")
        out = _run_block(row, list(args), ["--round-records", counts_path])
        with open(counts_path, "rb") as f:
            counts = [int(x) for x in f.read().split()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = out.splitlines(keepends=True)
    if sum(counts) != len(lines):
        raise binary.SpindleError("spindle upsample on block %s: %d records in rounds of %s" % (row["key"], len(lines), counts), 74)
    rows, at = [], 0
    for k, n in enumerate(counts or [0], start=1):
        rows.append(dict(row, key=round_key(k, row["key"]), data=b"".join(lines[at:at + n]),
                         stages=int(row["stages"]) + 1, aligned=False))
        at += n
    return rows


def run_stage(ds, args):
    """The dataset of blocks after `spindle ARGS` ran on each (stdin to stdout). A failing block fails
    the job with Spindle's message, located in the block's source file; no block is ever dropped.
    `upsample` splits each block into its copy rounds (see upsample_block)."""
    if args and args[0] == "dedup":
        raise ValueError("spindle-ray: dedup sees every document at once; use spindle_ray.near_dedup or key_dedup "
                         "(or `dedup` in the CLI)")
    args = list(args)
    if args and args[0] == "upsample":
        return ds.flat_map(lambda r: upsample_block(r, args)).repartition(target_num_rows_per_block=1)
    return ds.map(lambda r: stage_block(r, args))
