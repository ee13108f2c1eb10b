#!/usr/bin/env bash
# `make rm-ablation`: the reward-model ablation of docs/POSTTRAIN.md on the data `make rm-real` prepared.
# Each variant changes one thing against the reference run (configs/rm-hh.json from scratch: 1 layer,
# 32 wide, mean-response pooling, 2 epochs, lr 1e-3, weight decay 0.1, the last 256 tokens) and runs with
# SEEDS seeds (the initialisation's); the table gives the held-out accuracy of each seed, their mean, and
# the accuracy of the seeds' models as one ensemble.
# Then the learning curve: the reference and the bag-of-words baseline on the first 25/50/75/100% of the
# training pairs. 10-40 s a run on an idle 2-core machine; about 30 minutes in all.
# usage: recipes/rm-ablation.sh SPINDLE TOKENIZER RD [SEEDS]   (RD: the rm-real output directory)
set -euo pipefail
BIN=$1 TOKENIZER=$2 RD=$3 SEEDS=${4:-1 2 3}
[ -d "$RD/base/checkpoint" ] || { echo "rm-ablation: run make rm-real first ($RD/base/checkpoint missing)" >&2; exit 66; }
A="$RD/ablation"
mkdir -p "$A"
here=$(cd "$(dirname "$0")/.." && pwd)

# A 90/10 safety/helpfulness mix (Llama 2 §3.2.2) of the training pairs.
"$BIN" pack preference --tokenizer "$TOKENIZER" --seq-len 4096 --mix safety --overwrite -o "$A/shards-mix90" \
  "$RD/safety-train.jsonl" "$RD/helpfulness-train.jsonl" 2> /dev/null

config() {   # NAME KEY=VALUE... -> a copy of rm-hh with fields changed (training.KEY or model.KEY)
  local name=$1; shift
  python3 - "$here/configs/rm-hh.json" "$A/$name.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("$schema", None)
for kv in sys.argv[3:]:
    k, v = kv.split("=")
    section, key = k.split(".")
    c[section][key] = float(v) if "." in v or "e" in v else int(v)
json.dump(c, open(sys.argv[2], "w"))
PY
  echo "$A/$name.json"
}

# The training pairs in another order (the run reads them in shard order, so this is the data-order seed).
python3 -c 'import random, sys; L = open(sys.argv[1]).readlines(); random.Random(7).shuffle(L); sys.stdout.writelines(L)' \
  "$RD/safety-train.jsonl" > "$A/safety-train-shuffled.jsonl"
"$BIN" pack preference --tokenizer "$TOKENIZER" --seq-len 4096 --mix all --overwrite -o "$A/shards-shuffled" \
  "$A/safety-train-shuffled.jsonl" 2> /dev/null
# A trunk of the reference's shape pretrained as base-hh is (same corpus, 300 steps).
python3 - "$here/configs/base-hh.json" "$here/configs/rm-hh.json" "$A/base-small.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2])); b.pop("$schema", None)
for k in ("dim", "n_layers", "n_heads", "n_kv_heads", "hidden_dim"):
    b["model"][k] = r["model"][k]
json.dump(b, open(sys.argv[3], "w"))
PY
"$BIN" train pretrain --overwrite --config "$A/base-small.json" --train-data "$RD/shards-base" --output "$A/base-small" > /dev/null 2>&1

variants=(
  "reference: from scratch, 1 layer, 32 wide, mean over the answer|safety|"
  "16 wide|safety|--config $(config d16 model.dim=16 model.hidden_dim=43 model.n_heads=2 model.n_kv_heads=1)"
  "64 wide|safety|--config $(config d64 model.dim=64 model.hidden_dim=172 model.n_heads=4 model.n_kv_heads=2)"
  "2 layers, 64 wide (the nano shape)|safety|--config $(config nano model.dim=64 model.hidden_dim=172 model.n_heads=4 model.n_kv_heads=2 model.n_layers=2)"
  "4 layers, 64 wide|safety|--config $(config l4 model.dim=64 model.hidden_dim=172 model.n_heads=4 model.n_kv_heads=2 model.n_layers=4)"
  "last token (</s>)|safety|--pooling last"
  "lr 3e-3|safety|--config $(config lr3e-3 training.lr=3e-3)"
  "lr 3e-4, 4 epochs|safety|--config $(config lr3e-4 training.lr=3e-4) --epochs 4"
  "1 epoch|safety|--epochs 1"
  "4 epochs|safety|--epochs 4"
  "weight decay 0|safety|--config $(config wd0 training.weight_decay=0.0)"
  "weight decay 0.5|safety|--config $(config wd05 training.weight_decay=0.5)"
  "truncation to the last 128 tokens|safety|--config $(config seq128 training.seq_len=128)"
  "truncation to the last 512 tokens|safety|--config $(config seq512 training.seq_len=512 model.max_seq_len=512)"
  "score head initialised to zero|safety|--score-init zero"
  "training pairs in another order|shuffled|"
  "90/10 safety/helpfulness mix|mix90|"
  "trunk of this shape pretrained as base-hh (300 steps)|safety|--init $A/base-small/checkpoint"
  "trunk base-hh (2 layers, 64 wide), mean over the answer|safety|--init $RD/base/checkpoint"
  "trunk base-hh, last token|safety|--init $RD/base/checkpoint --pooling last"
)
# The seeds' models as one ensemble: each model's rewards standardised (z-scores over its held-out
# answers), then averaged per answer; the accuracy of the averaged rewards.
ensemble() {
  python3 - "$@" <<'PY'
import json, statistics, sys
runs = [[json.loads(l) for l in open(f)] for f in sys.argv[1:]]
def z(rows):
    v = [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    m, s = statistics.mean(v), statistics.pstdev(v) or 1.0
    return [((r["chosen"] - m) / s, (r["rejected"] - m) / s) for r in rows]
zs = [z(r) for r in runs]
n = len(zs[0])
print("%.3f" % (sum(sum(x[i][0] for x in zs) > sum(x[i][1] for x in zs) for i in range(n)) / n))
PY
}
echo "| variant | $(for s in $SEEDS; do printf 'seed %s | ' "$s"; done)mean | ensemble |"
echo "|---|$(for s in $SEEDS; do printf -- '---|'; done)---|---|"
i=0
for v in "${variants[@]}"; do
  IFS='|' read -r label data args <<< "$v"
  shards="$RD/shards-safety"; [ "$data" = mix90 ] && shards="$A/shards-mix90"; [ "$data" = shuffled ] && shards="$A/shards-shuffled"
  row="| $label |"; sum=0; n=0
  for s in $SEEDS; do
    out="$A/run$i-s$s"
    # shellcheck disable=SC2086
    # The reference's options first; a variant's later ones override them.
    "$BIN" train rm --overwrite --config rm-hh --pooling mean-response --epochs 2 --train-data "$shards" -o "$out" --seed "$s" \
      $args > /dev/null 2>&1
    acc=$("$BIN" eval rm --checkpoint "$out/checkpoint" --tokenizer "$TOKENIZER" --overwrite --scores "$out/scores.jsonl" \
      "$RD/safety-heldout.jsonl" | tail -n 1 | awk '{print $2}')
    row="$row $acc |"; sum=$(awk -v a="$sum" -v b="$acc" 'BEGIN { print a + b }'); n=$(( n + 1 ))
  done
  echo "$row $(awk -v a="$sum" -v n="$n" 'BEGIN { printf "%.3f", a / n }') | $(ensemble "$A/run$i"-s*/scores.jsonl) |"
  i=$(( i + 1 ))
done

# The learning curve: held-out accuracy against the number of training pairs (the first N of them).
PY=${SPINDLE_PYTHON:-}
[ -n "$PY" ] || { v="${SPINDLE_VENV:-$HOME/.cache/spindle-venv}/bin/python"; if [ -x "$v" ]; then PY=$v; else PY=python3; fi; }
n=$(wc -l < "$RD/safety-train.jsonl")
echo
echo "| training pairs | reward model, mean of seeds $SEEDS | TF-IDF bag of words |"
echo "|---|---|---|"
for q in 1 2 3 4; do
  k=$(( n * q / 4 ))
  head -n "$k" "$RD/safety-train.jsonl" > "$A/lc-$k.jsonl"
  "$BIN" pack preference --tokenizer "$TOKENIZER" --seq-len 4096 --mix all --overwrite -o "$A/shards-lc-$k" "$A/lc-$k.jsonl" 2> /dev/null
  sum=0; m=0
  for s in $SEEDS; do
    out="$A/lc-$k-s$s"
    "$BIN" train rm --overwrite --config rm-hh --pooling mean-response --epochs 2 --train-data "$A/shards-lc-$k" -o "$out" --seed "$s" > /dev/null 2>&1
    acc=$("$BIN" eval rm --checkpoint "$out/checkpoint" --tokenizer "$TOKENIZER" "$RD/safety-heldout.jsonl" | tail -n 1 | awk '{print $2}')
    sum=$(awk -v a="$sum" -v b="$acc" 'BEGIN { print a + b }'); m=$(( m + 1 ))
  done
  bow=$("$PY" "$here/bench/rm_baselines.py" "$A/lc-$k.jsonl" "$RD/safety-heldout.jsonl" | awk '/tfidf/ {print $5}')
  echo "| $k | $(awk -v a="$sum" -v n="$m" 'BEGIN { printf "%.3f", a / n }') | $bow |"
done
