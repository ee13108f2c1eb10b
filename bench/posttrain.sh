#!/usr/bin/env bash
# Post-training benchmark, side by side on this machine: reward-model training throughput (pairs/s)
# of `spindle train rm` against transformers' LlamaForSequenceClassification + torch AdamW on the same
# pairs, the same model (initialised from the same checkpoint), batch, truncation and threads.
# Data: LLaMA-Factory dpo_en_demo (../shared/data/preference) packed with the Llama 2 tokenizer.
# usage: SPINDLE=.build/release/spindle bench/posttrain.sh   (STEPS=6 BATCH=8 THREADS=2 to change)
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
STEPS=${STEPS:-6}
BATCH=${BATCH:-8}
THREADS=${THREADS:-2}
TOK=$SHARED/data/tokenizers/llama2/tokenizer.model
[ -x "$SPINDLE" ] || { echo "posttrain bench: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
# K samples per prompt (rejection sampling, PPO rollouts) vs transformers generate: needs no shared data.
SPINDLE="$SPINDLE" THREADS="$THREADS" bash bench/sample_k.sh
[ -f "$TOK" ] || { echo "posttrain bench: skipped ($SHARED/data absent)"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

"$SPINDLE" convert dpo "$SHARED/data/preference/dpo_en_demo.json" > "$tmp/pairs.jsonl" 2>/dev/null
"$SPINDLE" pack preference --tokenizer "$TOK" --seq-len 4096 --mix all -o "$tmp/shards" "$tmp/pairs.jsonl" 2>/dev/null
# Both shapes the issue names: the demo's nano model and stories15M, each trained by both tools from the
# same checkpoint (one pretraining step of Spindle's).
echo 1 2 3 > "$tmp/ids.txt"
have_peer=0; python3 -c "import torch, transformers, numpy" 2>/dev/null && have_peer=1
[ $have_peer = 1 ] && python3 bench/shards_mds.py numpy "$tmp/shards" > "$tmp/samples.jsonl"
rm_bench() {   # NAME MODEL-JSON
  local name=$1 model=$2 d="$tmp/$1"
  mkdir -p "$d"
  echo "{\"model\": $model, \"training\": {\"seq_len\": 256, \"batch_size\": 8, \"steps\": 1, \"threads\": $THREADS}}" > "$d/lm.json"
  echo "{\"model\": $model, \"training\": {\"seq_len\": 256, \"batch_size\": $BATCH, \"grad_accum\": 4, \"steps\": 1, \"lr\": 1e-4, \"threads\": $THREADS, \"log_every\": 1000}, \"eval\": {\"every\": 0}, \"output\": {\"checkpoint_every\": 0}}" > "$d/rm.json"
  "$SPINDLE" train pretrain --config "$d/lm.json" --train-data "$tmp/ids.txt" --output "$d/lm" --steps 1 >/dev/null 2>&1
  "$SPINDLE" train rm --config "$d/rm.json" --init "$d/lm/checkpoint" --train-data "$tmp/shards" -o "$d/rm" --steps "$STEPS" >/dev/null 2>&1 \
    || { echo "posttrain bench: spindle train rm failed ($name)" >&2; exit 1; }
  local sp pt=""
  sp=$(python3 -c "
import json,sys
r=[json.loads(l) for l in open('$d/rm/metrics.jsonl') if '\"seconds\"' in l][1:]
print('%.2f' % ($BATCH*len(r)/sum(x['seconds'] for x in r)))")
  if [ $have_peer = 1 ]; then
    "$SPINDLE" train rm --config "$d/rm.json" --init "$d/lm/checkpoint" --train-data "$tmp/shards" -o "$d/rm0" --steps 1 >/dev/null 2>&1
    pt=$(python3 bench/posttrain_rm_peer.py "$tmp/samples.jsonl" "$d/rm0/checkpoint" "$STEPS" "$BATCH" 256 "$THREADS" 2>"$d/peer.err" | sed -n 's/^pairs\/s: //p')
    [ -n "$pt" ] || { echo "posttrain: transformers peer failed:"; tail -3 "$d/peer.err"; }
    echo "reward-model training pairs/s ($name, dpo_en_demo, $BATCH pairs/step, last 256 tokens, fp32, $THREADS threads): spindle $sp, transformers ${pt:-?}, ratio $(ratio "$sp" "${pt:-0}") (target 1.0x)"
  else
    echo "reward-model training pairs/s ($name): spindle $sp (transformers peer skipped: torch/transformers missing)"
  fi
}
rm_bench nano '{"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "hidden_dim": 172, "vocab_size": 32000, "max_seq_len": 256}'
rm_bench stories15M '{"dim": 288, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "hidden_dim": 768, "vocab_size": 32000, "max_seq_len": 256}'
