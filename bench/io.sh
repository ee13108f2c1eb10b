#!/usr/bin/env bash
# I/O benchmark: read + parse + write of real JSONL.zst documents, Spindle against the Python
# pipelines a user would otherwise write (zstd -dc | python json / orjson), same file, same machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -d "$DATA" ] || { echo "io: skipped (no $DATA)"; exit 0; }

IN=$BENCH_OUT/docs-70mb.jsonl.zst
if [ ! -f "$IN" ]; then
  # ~70 MB of real documents: C4 web pages and Wikipedia articles (ingested), repeated.
  "$SPINDLE" ingest --format wiki-xml "$DATA/wiki/enwiki-pages-articles-shortened.xml.gz" > "$BENCH_OUT/wiki.jsonl" 2>/dev/null
  "$SPINDLE" ingest --format jsonl --source c4 "$DATA/pretrain/en/c4_demo.jsonl" > "$BENCH_OUT/c4.jsonl" 2>/dev/null
  : > "$BENCH_OUT/docs-70mb.jsonl"
  while [ "$(stat -c %s "$BENCH_OUT/docs-70mb.jsonl")" -lt 70000000 ]; do
    cat "$BENCH_OUT/wiki.jsonl" "$BENCH_OUT/c4.jsonl" >> "$BENCH_OUT/docs-70mb.jsonl"
  done
  zstd -q -f -3 "$BENCH_OUT/docs-70mb.jsonl" -o "$IN"
fi
BYTES=$(zstd -dc "$IN" | wc -c)

t_zstd=$(seconds "zstd -dc $IN")
t_spindle=$(seconds "$SPINDLE ingest --format jsonl $IN 2>/dev/null")
echo "io: input $(mbps "$BYTES" 1) MB of JSONL (zstd-compressed)"
echo "io: zstd -dc alone            $(mbps "$BYTES" "$t_zstd") MB/s"
echo "io: spindle ingest --format jsonl  $(mbps "$BYTES" "$t_spindle") MB/s (read .zst + validate + parse + write canonical JSONL)"
t_json=$(seconds "zstd -dc $IN | python3 bench/peers/jsonl_roundtrip.py json")
echo "io: zstd -dc | python json    $(mbps "$BYTES" "$t_json") MB/s   spindle/json   = $(ratio "$t_json" "$t_spindle")x"
if have_python_module orjson; then
  t_orjson=$(seconds "zstd -dc $IN | python3 bench/peers/jsonl_roundtrip.py orjson")
  echo "io: zstd -dc | python orjson  $(mbps "$BYTES" "$t_orjson") MB/s   spindle/orjson = $(ratio "$t_orjson" "$t_spindle")x"
else
  echo "io: orjson peer skipped (pip install orjson)"
fi

# Wiki XML ingest: the real sample, decompressed and repeated 10x (pages stay well-formed).
WIKI=$BENCH_OUT/enwiki-10x.xml
if [ ! -f "$WIKI" ]; then
  zcat "$DATA/wiki/enwiki-pages-articles-shortened.xml.gz" > "$BENCH_OUT/enwiki-1x.xml"
  python3 - "$BENCH_OUT/enwiki-1x.xml" "$WIKI" <<'PY'
import sys
src = open(sys.argv[1], encoding="utf-8").read()
head, rest = src.split("<page>", 1)
body, tail = ("<page>" + rest).rsplit("</mediawiki>", 1)
open(sys.argv[2], "w", encoding="utf-8").write(head + body * 10 + "</mediawiki>" + tail)
PY
fi
for f in "$BENCH_OUT/enwiki-1x.xml" "$WIKI"; do
  b=$(stat -c %s "$f")
  t=$(seconds "$SPINDLE ingest --format wiki-xml $f 2>/dev/null")
  rss=$(peak_rss_mb "$SPINDLE ingest --format wiki-xml $f 2>/dev/null")
  echo "io: wiki-xml ingest $(mbps "$b" 1) MB: $(mbps "$b" "$t") MB/s, peak memory ${rss} MB"
done
