#!/usr/bin/env bash
# `spindle eval lm` against lm-evaluation-harness 0.4's `hf` backend (transformers on CPU) on the same
# checkpoint: a random ~50M-parameter Llama in Hugging Face layout (dim 512, 8 layers, context 512, Llama 2's
# tokenizer; bench/eval_lm_peer.py make), the first ROWS HellaSwag validation rows, 0-shot, fp32, the
# same THREADS. Wall seconds: spindle's whole process (loading included); lm-eval's simple_evaluate
# alone (imports and model loading excluded), one run (it takes minutes); spindle's best of BENCH_REPEAT (2). Both print acc / acc_norm: they must be equal (the
# scoring is the harness's, docs/EVAL.md), or the timing compares different work. Run it alone: timing
# is meaningful only under `flock /work/bench.lock` with the native release build (SPINDLE_NATIVE=1).
# usage: SPINDLE=.build/release/spindle bench/eval_lm.sh   (ROWS=60 THREADS=2)
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
PYTHON=${PYTHON:-${SPINDLE_PYTHON:-python3}}
ROWS=${ROWS:-60}
THREADS=${THREADS:-2}
TOKM=$DATA/tokenizers/llama2/tokenizer.model
HS=$DATA/eval/hellaswag.jsonl.gz
[ -x "$SPINDLE" ] || { echo "eval-lm bench: $SPINDLE not built (SPINDLE_NATIVE=1 swift build -c release)" >&2; exit 1; }
[ -f "$HS" ] && [ -f "$TOKM" ] || { echo "eval lm vs lm-eval: skipped ($HS or $TOKM missing)"; exit 0; }
"$PYTHON" -c "import torch, transformers, lm_eval" 2>/dev/null \
  || { echo "eval lm vs lm-eval: skipped (torch/transformers/lm_eval missing in $PYTHON)"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gzip -dc "$HS" | head -n "$ROWS" > "$tmp/hellaswag.jsonl"
"$PYTHON" bench/eval_lm_peer.py make "$tmp/model" "$TOKM" 2> "$tmp/make.err" \
  || { echo "eval-lm bench: building the checkpoint failed" >&2; tail -3 "$tmp/make.err" >&2; exit 1; }

# Best of BENCH_REPEAT (2) spindle runs: the cores are shared, the least disturbed run is the figure.
sp=$(BENCH_REPEAT=${BENCH_REPEAT:-2} seconds "'$SPINDLE' eval lm --checkpoint '$tmp/model' --tokenizer '$TOKM' --task hellaswag \
  --data '$tmp/hellaswag.jsonl' --threads $THREADS --overwrite --output '$tmp/spindle.json' 2> '$tmp/spindle.err'")
[ -s "$tmp/spindle.json" ] || { echo "eval-lm bench: spindle eval lm failed" >&2; tail -3 "$tmp/spindle.err" >&2; exit 1; }
read -r sacc snorm < <("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]["hellaswag"]; print(r["acc,none"], r["acc_norm,none"])' "$tmp/spindle.json")

"$PYTHON" bench/eval_lm_peer.py run "$tmp/model" "$TOKM" "$tmp/hellaswag.jsonl" "$THREADS" > "$tmp/peer.out" 2> "$tmp/peer.err" \
  || { echo "eval-lm bench: lm-eval failed" >&2; tail -3 "$tmp/peer.err" >&2; exit 1; }
pe=$(sed -n 's/^seconds //p' "$tmp/peer.out")
pacc=$(sed -n 's/^acc //p' "$tmp/peer.out"); pnorm=$(sed -n 's/^acc_norm //p' "$tmp/peer.out")
same=$(awk -v a="$sacc" -v b="$pacc" -v c="$snorm" -v d="$pnorm" 'BEGIN { print (a == b && c == d) ? "equal" : "DIFFERENT" }')
echo "eval lm, hellaswag $ROWS rows 0-shot (random 50M Llama, context 512, fp32, $THREADS threads): spindle ${sp} s, lm-eval hf ${pe} s, ratio $(ratio "$pe" "$sp")x (target 3x); acc $sacc/$pacc acc_norm $snorm/$pnorm ($same)"
