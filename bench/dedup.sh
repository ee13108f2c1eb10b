#!/usr/bin/env bash
# Near-duplicate quality and speed, beside the speed figure of bench/stages.sh (run after it by `make bench`).
#   quality: bench/dedup_quality.py builds a labelled set from the real text in ../shared/data (clusters of
#            edited copies with chains, and distinct documents from the same sources), then scores
#            `spindle dedup --near` (greedy and first-seen selection; hybrid (default), estimated and exact verification) and
#            datasketch's keep-first MinHashLSH with the definitions of docs/STAGES.md: precision, recall
#            per edit level, distinct documents removed, and witnesses under the threshold.
#   speed:   the same four spindle runs on the cluster-rich stages corpus (35% of documents are copies),
#            MB/s per CPU second and peak memory, and the ratio to datasketch (its stages.sh timing).
# Usage: SPINDLE=.build/release/spindle SHARED=../shared bench/dedup.sh [all|quality|speed]
# (datasketch is taken from SPINDLE_PYTHON, ~/.cache/spindle-venv or python3, whichever has it)
set -euo pipefail
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
[ -x "$SPINDLE" ] || { echo "dedup bench: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
[ -d "$SHARED/data" ] || { echo "dedup bench: $SHARED/data missing; skipped" >&2; exit 0; }
command -v python3 >/dev/null || { echo "dedup bench: python3 missing; skipped" >&2; exit 0; }
PY=""   # a Python with datasketch, if any
for p in "${SPINDLE_PYTHON:-}" "$HOME/.cache/spindle-venv/bin/python" python3; do
  if [ -n "$p" ] && "$p" -c "import datasketch" 2>/dev/null; then PY=$p; break; fi
done

PART=${1:-all}

quality() {
SET=$OUT/dedup_quality.jsonl
[ -s "$SET" ] || python3 bench/dedup_quality.py make "$SHARED/data" "$OUT"
echo "near-dup quality: $SET ($(wc -l < "$SET") documents; t = 0.8; P = precision, R = recall per edit level)"
reports=()
for verify in hybrid estimate exact; do
  for select in greedy first-seen; do
    "$SPINDLE" dedup --near --verify "$verify" --select "$select" --overwrite --report "$OUT/dq_${verify}_$select.json" "$SET" \
      > /dev/null 2> "$OUT/dq_${verify}_$select.err" || { cat "$OUT/dq_${verify}_$select.err" >&2; exit 1; }
    reports+=("spindle $select/$verify" "$OUT/dq_${verify}_$select.json")
  done
done
python3 bench/dedup_quality.py score "$OUT" "${reports[@]}" --json "$OUT/dedup_quality.scores.json"
python3 bench/dedup_quality.py ideal "$OUT"
if [ -n "$PY" ]; then
  "$PY" bench/dedup_quality.py peer "$OUT"
else echo "  datasketch keep-first skipped (pip install datasketch)"; fi
}

speed() {
# Speed on the stages corpus (bench/stages.sh builds it; its datasketch timing is reused when present).
CORPUS=$OUT/stages_${STAGES_BENCH_MB:-50}mb.jsonl
[ -s "$CORPUS" ] || python3 bench/stages_corpus.py "$SHARED/data" "$CORPUS" --mb "${STAGES_BENCH_MB:-50}"
TEXT_MB=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1], encoding='utf-8'))/1e6)" "$CORPUS")
cpu_rate() { read -r wall user sys kb < "$1"; python3 -c "import sys; w,u,s,k,mb=map(float,sys.argv[1:]); print('%.1f MB/s cpu (%.1f wall), %d MB peak' % (mb/max(u+s,1e-3), mb/max(w,1e-3), k/1024))" "$wall" "$user" "$sys" "$kb" "$TEXT_MB"; }
cpu_s() { read -r wall user sys kb < "$1"; python3 -c "import sys; print(float(sys.argv[1])+float(sys.argv[2]))" "$user" "$sys"; }
if [ ! -s "$OUT/py_near.time" ] && [ -n "$PY" ]; then
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/py_near.time" "$PY" "$SHARED/bench/peers/dedup_datasketch.py" "$CORPUS" \
    "$OUT/datasketch_kept.txt" --num-perm 128 --threshold 0.8 --ngram 5 > /dev/null
fi
echo "near-dup speed: $CORPUS ($TEXT_MB MB of text, one core)"
for verify in hybrid estimate exact; do
  for select in greedy first-seen; do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/ds_${verify}_$select.time" "$SPINDLE" dedup --near --verify "$verify" \
      --select "$select" "$CORPUS" > "$OUT/ds_${verify}_$select.out" 2> "$OUT/ds_${verify}_$select.err"
    line="  spindle $select/$verify: $(cpu_rate "$OUT/ds_${verify}_$select.time"), kept $(wc -l < "$OUT/ds_${verify}_$select.out")"
    if [ -s "$OUT/py_near.time" ]; then
      line+=", $(python3 -c "import sys; print('%.1fx' % (float(sys.argv[2])/max(float(sys.argv[1]),1e-3)))" \
        "$(cpu_s "$OUT/ds_${verify}_$select.time")" "$(cpu_s "$OUT/py_near.time")") datasketch"
    fi
    echo "$line"
  done
done
[ -s "$OUT/py_near.time" ] && echo "  datasketch keep-first: $(cpu_rate "$OUT/py_near.time")"
echo "  targets: P >= 0.99, R >= 0.95, distinct removed <= 0.1%, >= 80 MB/s and >= 20x datasketch"
}

case $PART in
  quality) quality ;;
  speed) speed ;;
  all) quality; speed ;;
  *) echo "usage: bench/dedup.sh [all|quality|speed]" >&2; exit 64 ;;
esac
