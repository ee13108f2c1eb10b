#!/usr/bin/env bash
# Cleaning-stage benchmarks: Spindle side by side with the tool a user would otherwise pick, on the
# same ~50 MB of real JSONL (built from ../shared/data by bench/stages_corpus.py into bench/out/).
#   exact dedup  vs  Python xxh64 per normalised document (shared/bench/peers/exact_dedup.py) and sort -u
#   CCNet lines  vs  Python xxh64 per normalised line
#   near dedup   vs  datasketch MinHash(128) + MinHashLSH(0.8), 5-gram shingles, keep-first
#   pii          vs  a Python `re` detector for the same types (bench/peers_pii_re.py)
# One line per figure: MB/s of text (wall and CPU), peak RSS, and the ratio. The machine is shared, so
# ratios use CPU time (user+sys) of each process; both sides are single-threaded. Peers are skipped
# cleanly when Python or a package is missing. Usage: SPINDLE=.build/release/spindle SHARED=../shared bench/stages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
OUT=bench/out
MB=${STAGES_BENCH_MB:-50}
mkdir -p "$OUT"
[ -x "$SPINDLE" ] || { echo "stages bench: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
[ -d "$SHARED/data" ] || { echo "stages bench: $SHARED/data missing; skipped" >&2; exit 0; }
command -v python3 >/dev/null || { echo "stages bench: python3 missing; skipped" >&2; exit 0; }
CORPUS=$OUT/stages_${MB}mb.jsonl
[ -s "$CORPUS" ] || python3 bench/stages_corpus.py "$SHARED/data" "$CORPUS" --mb "$MB"
PEERS=$SHARED/bench/peers
TEXT_MB=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1], encoding='utf-8'))/1e6)" "$CORPUS")

# run NAME CMD... : runs CMD with stdout to $OUT/NAME.out, records wall, cpu seconds and peak KB.
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || {
    echo "$name: failed (see $OUT/$name.err)" >&2; return 1; }
}
fig() {  # fig NAME -> "X MB/s wall, Y MB/s cpu, Z MB peak"
  read -r wall user sys kb < "$OUT/$1.time"
  python3 -c "import sys; w,u,s,k,mb=map(float,sys.argv[1:]); print('%.1f MB/s wall, %.1f MB/s cpu, %d MB peak' % (mb/max(w,1e-3), mb/max(u+s,1e-3), k/1024))" "$wall" "$user" "$sys" "$kb" "$TEXT_MB"
}
cpu() { read -r wall user sys kb < "$OUT/$1.time"; python3 -c "import sys; print(float(sys.argv[1])+float(sys.argv[2]))" "$user" "$sys"; }
ratio() { python3 -c "import sys; print('%.1fx' % (float(sys.argv[2])/max(float(sys.argv[1]),1e-3)))" "$(cpu "$1")" "$(cpu "$2")"; }
have_py() { python3 -c "import $1" 2>/dev/null; }

echo "stages bench: $CORPUS ($(wc -l < "$CORPUS") documents, $TEXT_MB MB of text)"

# Exact document dedup.
run sp_exact "$SPINDLE" dedup --overwrite --report "$OUT/sp_exact.report.json" "$CORPUS"
echo "exact dedup   spindle:            $(fig sp_exact)   (target >= 200 MB/s); $(grep -o '[0-9]* removed' "$OUT/sp_exact.err" | head -1)"
if have_py xxhash; then
  run py_exact python3 "$PEERS/exact_dedup.py" "$CORPUS" doc-xxh64 --normalize
  echo "exact dedup   python xxh64 norm:  $(fig py_exact)   spindle/peer $(ratio sp_exact py_exact)"
else echo "exact dedup   python peer skipped (pip install xxhash)"; fi
run sort_u env LC_ALL=C sort -u "$CORPUS"
echo "exact dedup   LC_ALL=C sort -u:   $(fig sort_u)   (whole lines, no normalisation) spindle/peer $(ratio sp_exact sort_u)"

# CCNet line dedup.
run sp_lines "$SPINDLE" dedup --lines "$CORPUS"
echo "line dedup    spindle --lines:    $(fig sp_lines)"
if have_py xxhash; then
  run py_lines python3 "$PEERS/exact_dedup.py" "$CORPUS" line-xxh64 --normalize
  echo "line dedup    python xxh64 norm:  $(fig py_lines)   spindle/peer $(ratio sp_lines py_lines)"
fi

# Near-duplicate dedup.
run sp_near "$SPINDLE" dedup --near --threshold 0.8 --overwrite --report "$OUT/sp_near.report.json" "$CORPUS"
echo "near dedup    spindle --near:     $(fig sp_near)   kept $(wc -l < "$OUT/sp_near.out"); $(head -1 "$OUT/sp_near.err" | cut -c8-60)"
if have_py datasketch; then
  run py_near python3 "$PEERS/dedup_datasketch.py" "$CORPUS" "$OUT/datasketch_kept.txt" --num-perm 128 --threshold 0.8 --ngram 5
  echo "near dedup    datasketch:         $(fig py_near)   kept $(wc -l < "$OUT/datasketch_kept.txt")   spindle/peer $(ratio sp_near py_near) (target >= 20x)"
else echo "near dedup    datasketch skipped (pip install datasketch)"; fi

# PII.
run sp_pii "$SPINDLE" pii --overwrite --report "$OUT/sp_pii.report.json" "$CORPUS"
echo "pii           spindle redact:     $(fig sp_pii)   (target >= 100 MB/s); $(sed 's/.*with PII //; s/;.*//' "$OUT/sp_pii.err" | head -1)"
run py_pii python3 bench/peers_pii_re.py "$CORPUS"
echo "pii           python re:          $(fig py_pii)   spindle/peer $(ratio sp_pii py_pii); peer spans $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['spans'])" "$OUT/py_pii.out")"
