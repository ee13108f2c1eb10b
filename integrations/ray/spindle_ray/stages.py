"""`run_stage`: a Spindle data stage as a map over blocks (each block piped through the binary)."""
from . import binary

# Commands that take Spindle's input options (--stdin-name/--stdin-line, --allow-empty).
_INPUT_COMMANDS = {"ingest", "pii", "upsample", "convert", "validate", "classify", "dedup"}
# Stages that may write a record more than once or reorder records: after them a block's lines are no
# longer its source's lines even when the count is unchanged.
_REORDERING = {"upsample"}


def _takes_input_options(args):
    return bool(args) and args[0] in _INPUT_COMMANDS


def stage_block(row, args):
    """One block through `spindle ARGS`: the new block (same key and origin)."""
    args = list(args)
    named = bool(row["aligned"]) and _takes_input_options(args)
    if _takes_input_options(args):
        # One block may legitimately lose every record; the whole run is checked at the end.
        args.append("--allow-empty")
    out = binary.run(args, row["data"], block=row, name_stdin=named)
    n_in, n_out = row["data"].count(b"\n"), out.count(b"\n")
    aligned = bool(row["aligned"]) and n_in == n_out and args[0] not in _REORDERING
    return dict(row, data=out, stages=int(row["stages"]) + 1, aligned=aligned)


def run_stage(ds, args):
    """The dataset of blocks after `spindle ARGS` ran on each (stdin to stdout). A failing block fails
    the job with Spindle's message, located in the block's source file; no block is ever dropped."""
    if args and args[0] == "dedup":
        raise ValueError("spindle-ray: dedup sees every document at once; use spindle_ray.near_dedup or key_dedup "
                         "(or `dedup` in the CLI)")
    args = list(args)
    return ds.map(lambda r: stage_block(r, args))
