#!/usr/bin/env bash
# `make eval`: the benchmark suite and the win rate on the demo pipeline's checkpoints (after `make demo`).
#
#   1. data     the first ROWS rows of each task sample in $SHARED/data/eval (arc_easy, boolq, hellaswag,
#               nq_open, piqa; MMLU's dev split scored as questions, 0-shot: the test split is not there)
#               and the first CODE_ROWS HumanEval problems, in the suite's layout (OUT/eval/data/TASK.jsonl)
#   2. suite    `eval lm --suite llama2` on pretrain, SFT and PPO (best): one results JSON each, with the
#               chance level beside every figure (a 64-wide model is expected near chance)
#   3. table    `eval report`: the three side by side in OUT/eval/results.html
#   4. win rate `eval winrate` PPO (B) vs SFT (A) on the held-out preference prompts, judged by both reward
#               models: OUT/eval/winrate.json and OUT/eval/winrate.html
#
# usage: recipes/eval.sh SPINDLE SHARED OUT   (ROWS=100 CODE_ROWS=10 MAX_GEN=32)
set -euo pipefail
BIN=$1 SHARED=$2 OUT=$3
ROWS=${ROWS:-100} CODE_ROWS=${CODE_ROWS:-10} MAX_GEN=${MAX_GEN:-32}
RUNS=$OUT/runs E=$OUT/eval TOK=$OUT/tokenizer.model
declare -A CK=([pretrain]=$RUNS/pretrain/checkpoint [sft]=$RUNS/sft/checkpoint [ppo]=$RUNS/ppo/best)
for c in "${CK[@]}" "$RUNS/rm-helpfulness/checkpoint" "$RUNS/rm-safety/checkpoint"; do
  [ -f "$c/config.json" ] || { echo "eval: $c is missing: run make demo first" >&2; exit 66; }
done
[ -d "$SHARED/data/eval" ] || { echo "eval: $SHARED/data/eval is missing (SHARED=$SHARED)" >&2; exit 66; }

mkdir -p "$E/data"
rm -f "$E"/data/*.jsonl
for t in arc_easy boolq hellaswag nq_open piqa; do
  f="$SHARED/data/eval/$t.jsonl.gz"
  # (head closes the pipe early: gzip's SIGPIPE is expected, hence the subshell without pipefail)
  if [ -f "$f" ]; then (set +o pipefail; gzip -dc "$f" | head -n "$ROWS") > "$E/data/$t.jsonl"; fi
done
[ ! -f "$SHARED/data/eval/mmlu_dev.jsonl.gz" ] || gzip -dc "$SHARED/data/eval/mmlu_dev.jsonl.gz" > "$E/data/mmlu.jsonl"
HE="$SHARED/data/pretrain/code/HumanEval.jsonl.gz"
if [ -f "$HE" ]; then (set +o pipefail; gzip -dc "$HE" | head -n "$CODE_ROWS") > "$E/data/humaneval.jsonl"; fi

cols=()
for name in pretrain sft ppo; do
  echo "== eval lm --suite llama2: $name (${CK[$name]})"
  "$BIN" eval lm --checkpoint "${CK[$name]}" --tokenizer "$TOK" --suite llama2 --data-dir "$E/data" \
    --max-gen-toks "$MAX_GEN" --overwrite --output "$E/$name.json" | grep -v '^mmlu_'
  cols+=("$name=$E/$name.json")
done
"$BIN" eval report --title "Demo checkpoints: benchmark samples (near chance expected at this size)" "${cols[@]}" --overwrite -o "$E/results.html"
echo "eval: results table $E/results.html"

echo "== eval winrate: PPO (B) vs SFT (A)"
"$BIN" eval winrate --model-a "${CK[sft]}" --model-b "${CK[ppo]}" --tokenizer "$TOK" --prompts "$OUT/pairs-heldout.jsonl" \
  --helpfulness-rm "$RUNS/rm-helpfulness/checkpoint" --safety-rm "$RUNS/rm-safety/checkpoint" --max-new-tokens 64 \
  --overwrite --output "$E/winrate.json" --html "$E/winrate.html"
empty=$(grep -Eo '"answer_a": *""' "$E/winrate.json" | wc -l || true)
echo "eval: win-rate page $E/winrate.html (SFT answers that are empty: $empty)"
