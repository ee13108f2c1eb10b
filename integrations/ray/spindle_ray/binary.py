"""Running the `spindle` binary on one block: JSONL bytes on stdin, JSONL bytes on stdout.

The binary is the only thing that reads or changes records; this module moves bytes and turns a failed
run into an exception that names the block's source file and line.
"""
import os
import re
import shutil
import subprocess


class SpindleError(RuntimeError):
    """A spindle run failed on a block: `message` is Spindle's own `FILE:LINE: field: reason`, mapped back."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def spindle_path():
    """The binary: $SPINDLE_BIN, else `spindle` on PATH."""
    path = os.environ.get("SPINDLE_BIN") or shutil.which("spindle")
    if not path:
        raise SpindleError("spindle-ray: no spindle binary (set SPINDLE_BIN or put spindle on PATH)", 66)
    return path


_STDIN_AT = re.compile(r"<stdin>:(\d+):")


def map_location(stderr, block):
    """Spindle's messages name standard input `<stdin>:LINE`; a block whose lines still are its source's
    lines was named to Spindle with --stdin-name/--stdin-line, so its messages already say FILE:LINE.
    Otherwise LINE is a row of the block after earlier stages: say which block and where it came from."""
    def repl(m):
        return "%s (block %s, from lines %d-%d, after %d stages), row %s:" % (
            block["src"], block["key"], block["first"], block["first"] + block["lines"] - 1,
            block["stages"], m.group(1))
    return _STDIN_AT.sub(repl, stderr)


def run(args, data, block=None, name_stdin=False, cwd=None):
    """Runs `spindle ARGS` with `data` on stdin; returns stdout. With `name_stdin`, stdin is named as the
    block's source file and first line, so ids made from the position and error messages match a run
    over the whole file."""
    argv = [spindle_path()] + list(args)
    if name_stdin and block is not None:
        argv += ["--stdin-name", block["src"], "--stdin-line", str(block["first"])]
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        where = "" if block is None else " on block %s of %s" % (block["key"], block["src"])
        msg = map_location(err.strip(), block) if block is not None else err.strip()
        raise SpindleError("spindle %s failed%s (exit %d): %s" % (" ".join(args), where, p.returncode, msg), p.returncode)
    return p.stdout
