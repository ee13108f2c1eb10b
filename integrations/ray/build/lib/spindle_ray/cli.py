"""spindle-ray --address ADDR --input GLOB --output DIR STAGE [ARGS...] [:: STAGE [ARGS...]]..."""
import argparse
import json
import os
import sys
import time

from . import binary
from .blocks import DEFAULT_LINES_PER_BLOCK, input_files, read_jsonl, write_jsonl
from .pipeline import check_not_empty, run_pipeline, split_stages

USAGE = """spindle-ray --address ADDR --input GLOB --output DIR STAGE [ARGS...] [:: STAGE [ARGS...]]...

Runs spindle's data stages across a Ray cluster. STAGE and ARGS are exactly spindle's
(`pii --action redact`, `dedup --near --threshold 0.8`); stages chain with `::`.
  spindle-ray --address auto --input 'crawl/*.jsonl.zst' --output clean/ \\
    ingest --format jsonl --source web :: dedup --near :: pii --action redact
Writes DIR/part-KEY.jsonl[.zst] (in input order) and DIR/manifest.json."""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="spindle-ray", usage=USAGE)
    p.add_argument("--address", required=True, help="Ray cluster address (auto, HOST:PORT, ray://HOST:PORT)")
    p.add_argument("--input", required=True, help="glob of JSONL(.zst/.gz) files on a path every node reads")
    p.add_argument("--output", required=True, help="output directory (on a shared path)")
    p.add_argument("--compress", action="store_true", help="write .jsonl.zst shards")
    p.add_argument("--lines-per-block", type=int, default=DEFAULT_LINES_PER_BLOCK)
    p.add_argument("--partitions", type=int, default=None, help="dedup shuffle partitions (default: one per block, at most 64)")
    p.add_argument("--work-dir", default=None, help="shared scratch for dedup (default: OUTPUT/.spindle-ray)")
    p.add_argument("stage", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    if not a.stage:
        p.error("no STAGE given")
    try:
        stages = split_stages(a.stage)
        files = input_files(a.input)
        binary.spindle_path()
    except (ValueError, FileNotFoundError) as e:
        print(e, file=sys.stderr)
        return 66 if isinstance(e, FileNotFoundError) else 64
    except binary.SpindleError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    import ray
    ray.init(address=a.address, log_to_driver=False)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    start = time.time()
    try:
        ds = read_jsonl(a.input, a.lines_per_block)
        ds, _ = run_pipeline(ds, stages, a.work_dir or os.path.join(a.output, ".spindle-ray"), a.partitions)
        manifest = write_jsonl(ds, a.output, a.compress, extra={
            "command": "spindle-ray", "stages": stages, "inputs": files, "lines_per_block": a.lines_per_block})
        check_not_empty(manifest["input_lines"], manifest["records"])
    except binary.SpindleError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    except Exception as e:  # Ray wraps a task's exception; show Spindle's message
        cause = getattr(e, "cause", None) or e.__cause__
        if isinstance(cause, binary.SpindleError):
            print(cause, file=sys.stderr)
            return cause.exit_code
        msg = str(e)
        print("spindle-ray: %s" % msg.strip().splitlines()[-1] if msg else repr(e), file=sys.stderr)
        return 65 if "SpindleError" in msg else 74
    finally:
        ray.shutdown()
    print("spindle-ray: %d records in %d shards -> %s (%.1f s)" % (manifest["records"], len(manifest["shards"]), a.output,
                                                                  time.time() - start), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
