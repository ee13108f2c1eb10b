#!/usr/bin/env bash
# LoRA against full fine-tuning at the stories15M shape (dim 288, 6 layers, hidden 768, vocab 32000
# untied, seq 256, batch 8, fp32): trainable parameters, AdamW state bytes, peak RSS (/usr/bin/time -v)
# and step time, each from `spindle train pretrain --benchmark` on random tokens (LoRA: adapters on the
# frozen random model). Then the same LoRA step (r=RANK on q,v) trained by peft + torch AdamW
# (bench/lora_peer.py: transformers' LlamaForCausalLM, same shape, batch, seq len and threads), skipped
# when PYTHON lacks torch/transformers/peft. Timing: run it under the shared lock on a busy machine, and
# compare the ratios.
# usage: SPINDLE=.build/release/spindle bench/lora.sh   (STEPS=3 THREADS=2 RANK=8 PYTHON=... to change)
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
STEPS=${STEPS:-3}
THREADS=${THREADS:-2}
RANK=${RANK:-8}
PYTHON=${PYTHON:-${SPINDLE_PYTHON:-python3}}
[ -x "$SPINDLE" ] || { echo "lora bench: $SPINDLE not built (make build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "lora bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/stories15M-bench.json" <<JSON
{"model": {"dim": 288, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "hidden_dim": 768, "vocab_size": 32000,
           "max_seq_len": 256, "tie_embeddings": false},
 "training": {"seq_len": 256, "batch_size": 8, "grad_accum": 1, "threads": $THREADS}}
JSON
printf '%-22s %12s %16s %12s %14s %10s\n' "stories15M, seq 256x8" "trainable" "AdamW state" "peak RSS" "step (best)" "tokens/s"
run() {   # NAME ARGS...
  local name=$1; shift
  /usr/bin/time -v "$SPINDLE" train pretrain --config "$tmp/stories15M-bench.json" --benchmark "$STEPS" "$@" \
    > "$tmp/out.txt" 2> "$tmp/err.txt" || { cat "$tmp/err.txt" >&2; exit 1; }
  local params state rss step tps
  params=$(sed -n 's/^trainable parameters: //p' "$tmp/out.txt")
  state=$(sed -n 's/^optimizer state bytes: //p' "$tmp/out.txt")
  step=$(sed -n 's/^step: best \([0-9]*\) ms.*/\1/p' "$tmp/out.txt")
  tps=$(sed -n 's/^tokens\/s: //p' "$tmp/out.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/err.txt")
  printf '%-22s %12s %13.1f MB %9.1f MB %11s ms %10s\n' "$name" "$params" "$(awk -v b="$state" 'BEGIN{print b/1e6}')" \
    "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$step" "$tps"
  last_step=$step
}
run "full fine-tuning"
run "LoRA r=$RANK q,v" --lora-rank "$RANK" --lora-targets q,v
sp_qv=$last_step
run "LoRA r=$RANK all 7" --lora-rank "$RANK" --lora-targets all

# The same LoRA step in peft + torch (forward, causal-LM loss, backward, clip, AdamW on the adapters).
if "$PYTHON" -c "import torch, transformers, peft" 2>/dev/null; then
  /usr/bin/time -v "$PYTHON" bench/lora_peer.py "$STEPS" 8 256 "$THREADS" "$RANK" q,v > "$tmp/peer.txt" 2> "$tmp/peer.err" \
    || { tail -20 "$tmp/peer.err" >&2; exit 1; }
  pp=$(sed -n 's/^trainable parameters: //p' "$tmp/peer.txt")
  pstep=$(sed -n 's/^step: best \([0-9]*\) ms.*/\1/p' "$tmp/peer.txt")
  prss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/peer.err")
  printf '%-22s %12s %16s %9.1f MB %11s ms\n' "peft LoRA r=$RANK q,v" "$pp" "" "$(awk -v k="$prss" 'BEGIN{print k/1024}')" "$pstep"
  echo "LoRA r=$RANK q,v step (best of $STEPS, $THREADS threads): spindle $sp_qv ms, peft $pstep ms," \
    "spindle speed $(awk -v a="$pstep" -v b="$sp_qv" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }') peft's"
else
  echo "peft peer skipped: $PYTHON lacks torch/transformers/peft (set PYTHON=~/.cache/spindle-venv/bin/python)"
fi

# Reward model (train rm) at the same shape on LLaMA-Factory's dpo_en_demo pairs packed with the Llama 2
# tokenizer: full fine-tuning against LoRA r=RANK on q,v + the score head, from the same checkpoint.
SHARED=${SHARED:-../shared}
TOK=$SHARED/data/tokenizers/llama2/tokenizer.model
[ -f "$TOK" ] || { echo "reward-model rows skipped ($SHARED/data absent)"; exit 0; }
"$SPINDLE" convert dpo "$SHARED/data/preference/dpo_en_demo.json" > "$tmp/pairs.jsonl" 2>/dev/null
"$SPINDLE" pack preference --tokenizer "$TOK" --seq-len 4096 --mix all -o "$tmp/shards" "$tmp/pairs.jsonl" 2>/dev/null
echo 1 2 3 > "$tmp/ids.txt"
model='{"dim": 288, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "hidden_dim": 768, "vocab_size": 32000, "max_seq_len": 256}'
echo "{\"model\": $model, \"training\": {\"seq_len\": 256, \"batch_size\": 8, \"steps\": 1, \"threads\": $THREADS}}" > "$tmp/lm.json"
echo "{\"model\": $model, \"training\": {\"seq_len\": 256, \"batch_size\": 8, \"grad_accum\": 4, \"steps\": 1, \"lr\": 1e-4, \"threads\": $THREADS, \"log_every\": 1000}, \"eval\": {\"every\": 0}, \"output\": {\"checkpoint_every\": 0}}" > "$tmp/rm.json"
"$SPINDLE" train pretrain --config "$tmp/lm.json" --train-data "$tmp/ids.txt" --output "$tmp/lm" --steps 1 >/dev/null 2>&1 \
  || { echo "lora bench: pretraining the RM's trunk failed" >&2; exit 1; }
rm_run() {   # ARGS... -> $tmp/rm.err (log, /usr/bin/time), rss (MB), step (median ms after the first step)
  rm -rf "$tmp/rm"
  /usr/bin/time -v "$SPINDLE" train rm --config "$tmp/rm.json" --init "$tmp/lm/checkpoint" --train-data "$tmp/shards" -o "$tmp/rm" \
    --steps $((STEPS + 1)) "$@" > /dev/null 2> "$tmp/rm.err" || { tail -5 "$tmp/rm.err" >&2; exit 1; }
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/rm.err" | awk '{ printf "%.1f", $1 / 1024 }')
  step=$(grep '"seconds"' "$tmp/rm/metrics.jsonl" | tail -n +2 | sed 's/.*"seconds": *\([0-9.]*\).*/\1/' | sort -n \
    | awk '{ v[NR] = $1 } END { printf "%.0f", 1000 * v[int((NR + 1) / 2)] }')
}
rm_run --lora-rank "$RANK" --lora-targets q,v
line=$(grep 'trainable parameters' "$tmp/rm.err")
lp=$(echo "$line" | sed -n 's/.*: \([0-9]*\) trainable parameters.*/\1/p')
lbytes=$(echo "$line" | sed -n 's/.*AdamW state \([0-9]*\) bytes.*/\1/p')
fbytes=$(echo "$line" | sed -n 's/.*full fine-tuning: \([0-9]*\)).*/\1/p')
lrss=$rss; lstep=$step
rm_run
printf '%-26s %12s %16s %12s %14s\n' "stories15M RM, 8 pairs" "trainable" "AdamW state" "peak RSS" "step (median)"
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
printf '%-26s %12s %16s %9s MB %11s ms\n' "full fine-tuning" "$((fbytes / 8))" "$(mb "$fbytes")" "$rss" "$step"
printf '%-26s %12s %16s %9s MB %11s ms\n' "LoRA r=$RANK q,v + score" "$lp" "$(mb "$lbytes")" "$lrss" "$lstep"
