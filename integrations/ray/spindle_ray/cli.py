"""spindle-ray --address ADDR --input GLOB --output DIR STAGE [ARGS...] [:: STAGE [ARGS...]]..."""
import argparse
import os
import re
import sys
import time

from . import binary
from .blocks import DEFAULT_LINES_PER_BLOCK, input_files, read_jsonl, write_jsonl
from .pipeline import check_not_empty, run_pipeline, split_stages

USAGE = """spindle-ray --address ADDR --input GLOB --output DIR STAGE [ARGS...] [:: STAGE [ARGS...]]...

Runs spindle's data stages across a Ray cluster. STAGE and ARGS are exactly spindle's
(`pii --action redact`, `dedup --near --threshold 0.8`, `dedup --lines`); stages chain with `::`.
dedup (exact, --lines, --paragraphs, --near) runs as map, Ray shuffle, reduce and apply.
  spindle-ray --address auto --input 'crawl/*.jsonl.zst' --output clean/ \\
    ingest --format jsonl --source web :: dedup --near :: pii --action redact
Writes DIR/part-KEY.jsonl[.zst] (in input order) and DIR/manifest.json."""


def _spindle_cause(e):
    """The SpindleError behind Ray's wrappers, if any."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, binary.SpindleError):
            return e
        inner = getattr(e, "cause", None)
        if isinstance(inner, BaseException) and id(inner) not in seen:
            e = inner
            continue
        e = e.__cause__ or e.__context__
    return None


_RAISED = re.compile(r"SpindleError: (spindle .*? \(exit (\d+)\): .*)")


def _spindle_message(e):
    """Spindle's message from the traceback text Ray carries when the exception object itself was lost."""
    text = str(e)
    c = e
    while c is not None:
        text += "\n" + str(getattr(c, "cause", "") or "") + "\n" + "".join(getattr(c, "traceback_str", "") or "")
        c = c.__cause__
    m = _RAISED.search(text)
    return binary.SpindleError(m.group(1), int(m.group(2))) if m else None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="spindle-ray", usage=USAGE)
    p.add_argument("--address", required=True, help="Ray cluster address (auto, HOST:PORT, ray://HOST:PORT)")
    p.add_argument("--input", required=True, help="glob of JSONL(.zst/.gz) files on a path every node reads")
    p.add_argument("--output", required=True, help="output directory (on a shared path)")
    p.add_argument("--compress", action="store_true", help="write .jsonl.zst shards")
    p.add_argument("--lines-per-block", type=int, default=DEFAULT_LINES_PER_BLOCK)
    p.add_argument("--partitions", type=int, default=None, help="dedup shuffle partitions (default: one per block, at most 64)")
    p.add_argument("--spindle", default=None, help="the spindle binary, at this path on every node (default: $SPINDLE_BIN, else spindle on PATH)")
    p.add_argument("--work-dir", default=None, help="shared scratch for dedup (default: OUTPUT/.spindle-ray)")
    p.add_argument("stage", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    if not a.stage:
        p.error("no STAGE given")
    try:
        stages = split_stages(a.stage)
        files = input_files(a.input)
        if a.spindle:
            os.environ["SPINDLE_BIN"] = os.path.abspath(a.spindle)
        spindle = binary.spindle_path()
    except (ValueError, FileNotFoundError) as e:
        print(e, file=sys.stderr)
        return 66 if isinstance(e, FileNotFoundError) else 64
    except binary.SpindleError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    import ray
    # Every worker runs the binary the driver resolved (the same path on every node).
    ray.init(address=a.address, log_to_driver=False, runtime_env={"env_vars": {"SPINDLE_BIN": spindle}})
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
    except Exception as e:  # Ray wraps a task's exception (UserCodeException from RayTaskError from ours)
        cause = _spindle_cause(e) or _spindle_message(e)
        if cause is not None:
            print(cause, file=sys.stderr)
            return cause.exit_code
        print("spindle-ray: %r" % e, file=sys.stderr)
        return 74
    finally:
        ray.shutdown()
    print("spindle-ray: %d records in %d shards -> %s (%.1f s)" % (manifest["records"], len(manifest["shards"]), a.output,
                                                                  time.time() - start), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
