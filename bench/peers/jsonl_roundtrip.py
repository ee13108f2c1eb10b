#!/usr/bin/env python3
"""Peer for the I/O benchmark: read JSONL on stdin, parse each line and serialise it again to stdout.

usage: zstd -dc IN.jsonl.zst | python3 jsonl_roundtrip.py json|orjson > /dev/null
"""
import sys

def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "json"
    out = sys.stdout.buffer
    if mode == "orjson":
        import orjson
        loads, dumps = orjson.loads, orjson.dumps
        for line in sys.stdin.buffer:
            out.write(dumps(loads(line)))
            out.write(b"\n")
    else:
        import json
        for line in sys.stdin.buffer:
            out.write(json.dumps(json.loads(line), ensure_ascii=False).encode())
            out.write(b"\n")

if __name__ == "__main__":
    main()
