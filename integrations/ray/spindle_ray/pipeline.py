"""A chain of stages (`ingest ... :: dedup --near :: pii ...`) over a dataset of blocks."""
import os

from .binary import SpindleError
from .dedup import near_dedup
from .keydedup import key_dedup
from .stages import run_stage


def split_stages(argv):
    """`a b :: c d` -> [[a, b], [c, d]]; an empty stage is an error."""
    stages, cur = [], []
    for a in argv:
        if a == "::":
            stages.append(cur)
            cur = []
        else:
            cur.append(a)
    stages.append(cur)
    if any(not s for s in stages):
        raise ValueError("spindle-ray: empty stage in the chain (two '::' in a row, or one at an end)")
    return stages


def run_pipeline(ds, stages, work_dir, partitions=None):
    """Every stage in turn; `dedup --near` and exact or line/paragraph `dedup` as distributed map,
    shuffle by key, reduce and apply; the others as block maps.
    Returns the final dataset and what the dedup stages removed (their removal lists)."""
    removals = []
    for i, args in enumerate(stages):
        if args[0] == "dedup":
            run = near_dedup if "--near" in args else key_dedup
            ds, rem = run(ds, args, os.path.join(work_dir, "stage-%02d" % i), partitions)
            removals.append(rem)
        else:
            ds = run_stage(ds, args)
    return ds, removals


def check_not_empty(ds_in_records, ds_out_records):
    """A run that read records and wrote none fails, as one machine's run does (exit 65)."""
    if ds_in_records > 0 and ds_out_records == 0:
        raise SpindleError("spindle-ray: %d records read, none written" % ds_in_records, 65)
