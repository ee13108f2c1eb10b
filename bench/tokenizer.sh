#!/usr/bin/env bash
# Tokenizer benchmark: Spindle side by side with sentencepiece 0.2.x (PyPI) on the same inputs.
#   training (32K BPE, Llama 2 settings, 2 threads) on the 100 MB corpus: wall time and peak memory
#   compression (bytes/token) of both trained models on the held-out slice
#   encode/decode MB/s with Llama 2's model, single thread (+ Spindle 2-thread encode)
# Usage: bench/tokenizer.sh   (env: SPINDLE=.build/release/spindle, SHARED=../shared, TOKENIZER_BENCH_OUT=bench/out, THREADS=2)
# Builds the corpus once with ../shared/bench/build_tokenizer_corpus.sh. Peers are skipped when Python
# sentencepiece is missing. Prints one line per figure with the ratio (>1 means Spindle is better).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SPINDLE=${SPINDLE:-$ROOT/.build/release/spindle}
OUT=${TOKENIZER_BENCH_OUT:-$ROOT/bench/out}
THREADS=${THREADS:-2}
SHARED=${SHARED:-$ROOT/../shared}
PEERS=$SHARED/bench/peers
LLAMA=$SHARED/data/tokenizers/llama2/tokenizer.model
mkdir -p "$OUT"
[ -x "$SPINDLE" ] || { echo "tokenizer bench: $SPINDLE not built (swift build -c release --product spindle)" >&2; exit 1; }
if [ ! -f "$OUT/corpus_100M.txt" ]; then
  [ -x "$SHARED/bench/build_tokenizer_corpus.sh" ] || { echo "tokenizer bench: no corpus and no builder; skipping" >&2; exit 0; }
  echo "building the 100 MB corpus in $OUT …" >&2
  bash "$SHARED/bench/build_tokenizer_corpus.sh" "$OUT" >&2
fi
CORPUS=$OUT/corpus_100M.txt; HELDOUT=$OUT/heldout_5M.txt; ENC_INPUT=$OUT/corpus_20M.txt
HAVE_SPM=0; python3 -c 'import sentencepiece' 2>/dev/null && HAVE_SPM=1
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }
timed() { # timed LOGFILE cmd… -> prints "wall_seconds maxrss_kb cpu_seconds"
  local log=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$log.time" "$@" > "$log" 2>&1
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$log.time"
}
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (figures from a busy machine are pessimistic)"

echo "== training: 32K BPE (Llama 2 settings), $THREADS threads, $(du -h "$CORPUS" | cut -f1) corpus"
read -r SP_T SP_M SP_C < <(timed "$OUT/spindle_train.log" "$SPINDLE" tokenizer train --overwrite --input "$CORPUS" --model_prefix "$OUT/spindle32k" \
    --vocab_size 32000 --num_threads "$THREADS")
echo "spindle train          time_s=$SP_T cpu_s=$SP_C peak_mb=$((SP_M / 1024))"
if [ $HAVE_SPM = 1 ]; then
  read -r PY_T PY_M PY_C < <(timed "$OUT/spm_train.log" python3 "$PEERS/spm_train.py" "$CORPUS" "$OUT/spm32k" "$THREADS" 32000)
  echo "sentencepiece train    time_s=$PY_T cpu_s=$PY_C peak_mb=$((PY_M / 1024))"
  echo "ratio train time       $(ratio "$PY_T" "$SP_T") faster wall, $(ratio "$PY_C" "$SP_C") less cpu (target >= 3x wall)"
  echo "ratio train memory     $(ratio "$PY_M" "$SP_M") less (target >= 1x)"
fi

echo "== compression on the held-out slice (bytes per token, higher is better)"
if [ $HAVE_SPM = 1 ]; then
  SPC=$(python3 "$PEERS/compression.py" "$OUT/spindle32k.model" "$HELDOUT")
  PYC=$(python3 "$PEERS/compression.py" "$OUT/spm32k.model" "$HELDOUT")
  echo "spindle model          $SPC"
  echo "sentencepiece model    $PYC"
  A=$(sed 's/.*bytes_per_token=\([0-9.]*\).*/\1/' <<<"$SPC"); B=$(sed 's/.*bytes_per_token=\([0-9.]*\).*/\1/' <<<"$PYC")
  echo "ratio compression      $(ratio "$A" "$B") (target >= 0.99x)"
else
  echo "sentencepiece missing: compression comparison skipped"
fi

echo "== encode/decode with Llama 2's model on $(du -h "$ENC_INPUT" | cut -f1) (lines; MB = 1e6 input bytes; best of 3)"
S1=$("$SPINDLE" bench tokenizer --model "$LLAMA" "$ENC_INPUT" --threads 1)
S2=$("$SPINDLE" bench tokenizer --model "$LLAMA" "$ENC_INPUT" --threads 2)
echo "spindle 1 thread       $S1"
echo "spindle 2 threads      $S2"
if [ $HAVE_SPM = 1 ]; then
  P1=$(python3 "$PEERS/encode_bench.py" "$LLAMA" "$ENC_INPUT")
  echo "sentencepiece 1 thread $P1"
  get() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
  echo "ratio encode           $(ratio "$(get encode_mb_s "$S1")" "$(get encode_mb_s "$P1")") wall, $(ratio "$(get encode_cpu_mb_s "$S1")" "$(get encode_cpu_mb_s "$P1")") cpu (target >= 5x)"
  echo "ratio decode           $(ratio "$(get decode_mb_s "$S1")" "$(get decode_mb_s "$P1")") wall, $(ratio "$(get decode_cpu_mb_s "$S1")" "$(get decode_cpu_mb_s "$P1")") cpu (target >= 2x)"
  echo "ratio encode 2 threads $(ratio "$(get encode_mb_s "$S2")" "$(get encode_mb_s "$P1")") wall vs sentencepiece 1 thread"
  [ "$(get tokens "$S1")" = "$(get tokens "$P1")" ] && echo "token counts           identical ($(get tokens "$S1"))" || echo "token counts           DIFFER: spindle $(get tokens "$S1") vs sentencepiece $(get tokens "$P1")"
fi
