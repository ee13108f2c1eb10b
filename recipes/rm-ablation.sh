#!/usr/bin/env bash
# `make rm-ablation`: the reward-model ablation of docs/POSTTRAIN.md on the data `make rm-real` prepared.
# Each variant changes one or two things against the reference run (rm-hh from scratch, mean-response
# pooling, 2 epochs, lr 1e-3, weight decay 0.1, last 256 tokens); the schedule variants run on base-hh's trunk and runs with SEEDS seeds; the table gives the held-out accuracy of
# each seed and their mean. About 2 minutes a run on an idle 2-core machine.
# usage: recipes/rm-ablation.sh SPINDLE TOKENIZER RD [SEEDS]   (RD: the rm-real output directory)
set -euo pipefail
BIN=$1 TOKENIZER=$2 RD=$3 SEEDS=${4:-1 2}
[ -d "$RD/base/checkpoint" ] || { echo "rm-ablation: run make rm-real first ($RD/base/checkpoint missing)" >&2; exit 66; }
A="$RD/ablation"
mkdir -p "$A"
here=$(cd "$(dirname "$0")/.." && pwd)

# A 90/10 safety/helpfulness mix (Llama 2 §3.2.2) of the training pairs.
"$BIN" pack preference --tokenizer "$TOKENIZER" --seq-len 4096 --mix safety --overwrite -o "$A/shards-mix90" \
  "$RD/safety-train.jsonl" "$RD/helpfulness-train.jsonl" 2> /dev/null

config() {   # NAME KEY=VALUE... -> a copy of rm-hh with training fields changed
  local name=$1; shift
  python3 - "$here/configs/rm-hh.json" "$A/$name.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("$schema", None)
for kv in sys.argv[3:]:
    k, v = kv.split("=")
    c["training"][k] = float(v) if "." in v or "e" in v else int(v)
json.dump(c, open(sys.argv[2], "w"))
PY
  echo "$A/$name.json"
}

variants=(
  "reference: from scratch, mean over the answer|safety|"
  "from scratch, last token (</s>)|safety|--pooling last"
  "from scratch, lr 3e-3|safety|--config $(config lr3e-3 lr=3e-3)"
  "from scratch, 4 epochs|safety|--epochs 4"
  "trunk base-hh, mean over the answer|safety|--init $RD/base/checkpoint"
  "trunk base-hh, last token|safety|--init $RD/base/checkpoint --pooling last"
  "base-hh trunk, 1 epoch|safety|--init $RD/base/checkpoint --epochs 1"
  "base-hh trunk, 4 epochs|safety|--init $RD/base/checkpoint --epochs 4"
  "base-hh trunk, lr 3e-4|safety|--init $RD/base/checkpoint --config $(config lr3e-4 lr=3e-4)"
  "base-hh trunk, lr 3e-3|safety|--init $RD/base/checkpoint --config $A/lr3e-3.json"
  "base-hh trunk, weight decay 0|safety|--init $RD/base/checkpoint --config $(config wd0 weight_decay=0.0)"
  "base-hh trunk, truncation to the last 128 tokens|safety|--init $RD/base/checkpoint --config $(config seq128 seq_len=128)"
  "base-hh trunk, score head initialised to zero|safety|--init $RD/base/checkpoint --score-init zero"
  "base-hh trunk, 90/10 safety/helpfulness mix|mix90|--init $RD/base/checkpoint"
)
echo "| variant | $(for s in $SEEDS; do printf 'seed %s | ' "$s"; done)mean |"
echo "|---|$(for s in $SEEDS; do printf -- '---|'; done)---|"
i=0
for v in "${variants[@]}"; do
  IFS='|' read -r label data args <<< "$v"
  shards="$RD/shards-safety"; [ "$data" = mix90 ] && shards="$A/shards-mix90"
  row="| $label |"; sum=0; n=0
  for s in $SEEDS; do
    out="$A/run$i-s$s"
    # shellcheck disable=SC2086
    # The reference's options first; a variant's later ones override them.
    "$BIN" train rm --overwrite --config rm-hh --pooling mean-response --epochs 2 --train-data "$shards" -o "$out" --seed "$s" \
      $args > /dev/null 2>&1
    acc=$("$BIN" eval rm --checkpoint "$out/checkpoint" --tokenizer "$TOKENIZER" "$RD/safety-heldout.jsonl" | tail -n 1 | awk '{print $2}')
    row="$row $acc |"; sum=$(awk -v a="$sum" -v b="$acc" 'BEGIN { print a + b }'); n=$(( n + 1 ))
  done
  echo "$row $(awk -v a="$sum" -v n="$n" 'BEGIN { printf "%.3f", a / n }') |"
  i=$(( i + 1 ))
done
