#!/usr/bin/env bash
# Sampling K answers per prompt (rejection sampling, PPO rollouts), side by side on this machine:
# `spindle generate --prompts P --samples K` (each prompt prefilled once, its KV cache shared by the K
# samples) against transformers' generate(num_return_sequences=K, do_sample=True), one call per prompt,
# on the same stories15M-shaped checkpoint (random weights, untied head), the same prompts, K, new
# tokens, temperature 1, top-p 1 (PPO's rollout setting; top_k off), fp32 and threads. Both report the
# tokens they generated over the wall seconds of sampling (checkpoint loading excluded on both sides;
# transformers also gets an untimed warm-up call, spindle none). Spindle decodes --batch-size K, the
# rows transformers decodes per call. Only ratios from one run mean anything on a shared machine:
# torch's threads degrade far more than spindle's when the cores are oversubscribed.
# usage: SPINDLE=.build/release/spindle bench/sample_k.sh   (KS="4 16" PROMPTS=2 PROMPT_LEN=32 NEW=64 THREADS=2)
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
PYTHON=${PYTHON:-${SPINDLE_PYTHON:-python3}}
KS=${KS:-4 16}
PROMPTS=${PROMPTS:-2}
PROMPT_LEN=${PROMPT_LEN:-32}
NEW=${NEW:-64}
THREADS=${THREADS:-2}
[ -x "$SPINDLE" ] || { echo "sample-k bench: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

cat > "$tmp/s15.json" <<JSON
{"model": {"dim": 288, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "hidden_dim": 768, "vocab_size": 32000,
           "max_seq_len": 256, "tie_embeddings": false},
 "training": {"seq_len": 256, "batch_size": 1, "grad_accum": 1, "steps": 1, "threads": $THREADS, "log_every": 1000},
 "eval": {"every": 0}, "output": {"checkpoint_every": 0}}
JSON
echo 1 2 3 > "$tmp/ids.txt"
"$SPINDLE" train pretrain --config "$tmp/s15.json" --train-data "$tmp/ids.txt" --output "$tmp/lm" --steps 1 >/dev/null 2>&1 \
  || { echo "sample-k bench: spindle train pretrain failed" >&2; exit 1; }
# Prompts: BOS and PROMPT_LEN - 1 ids from a fixed linear congruential sequence (no EOS, id 2).
awk -v n="$PROMPTS" -v len="$PROMPT_LEN" 'BEGIN { s = 7; for (i = 0; i < n; i++) { line = "1";
  for (j = 1; j < len; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " " (3 + s % 31997) } print line } }' > "$tmp/prompts.ids"

have_peer=0
"$PYTHON" -c "import torch, transformers" 2>/dev/null && have_peer=1
for k in $KS; do
  "$SPINDLE" generate --checkpoint "$tmp/lm/checkpoint" --prompts "$tmp/prompts.ids" --samples "$k" --batch-size "$k" \
    --temperature 1 --top-p 1 --max-new-tokens "$NEW" --threads "$THREADS" > "$tmp/out.ids" 2> "$tmp/sp.err" \
    || { echo "sample-k bench: spindle generate failed" >&2; cat "$tmp/sp.err" >&2; exit 1; }
  sp=$(sed -n 's/.* tokens in .* s (\([0-9.]*\) tokens\/s)$/\1/p' "$tmp/sp.err")
  what="sampling tokens/s, K=$k per prompt ($PROMPTS prompts of $PROMPT_LEN tokens, $NEW new tokens, stories15M shape, T=1, fp32, $THREADS threads)"
  if [ "$have_peer" = 1 ]; then
    pt=$("$PYTHON" bench/sample_k_peer.py "$tmp/lm/checkpoint" "$tmp/prompts.ids" "$k" "$NEW" "$THREADS" 1.0 1.0 2>"$tmp/peer.err" | sed -n 's/^tokens\/s: //p')
    [ -n "$pt" ] || { echo "sample-k: transformers peer failed:"; tail -3 "$tmp/peer.err"; }
    echo "$what: spindle $sp, transformers ${pt:-?}, ratio $(ratio "$sp" "${pt:-0}") (target 3x)"
  else
    echo "$what: spindle $sp (transformers peer skipped: torch/transformers missing)"
  fi
done
