#!/usr/bin/env bash
# The bars a real-data reward model must clear (not a timing): on the split `make rm-real` uses (the last
# 20% of Anthropic HH harmless part A; of dpo_en_demo for helpfulness), the accuracy of "the shorter
# answer wins", "the longer answer wins" and a TF-IDF bag-of-words logistic regression (bench/rm_baselines.py),
# beside the reward models' accuracy from the last `make rm-real` when its output is present.
# usage: SPINDLE=.build/release/spindle bench/rm_quality.sh
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
OUT=${OUT:-out}
PY=${SPINDLE_PYTHON:-python3}
HH=$SHARED/data/preference/hh-rlhf/harmless-base-part-a.jsonl.gz
[ -f "$HH" ] || { echo "rm quality bench: skipped ($SHARED/data absent)"; exit 0; }
"$PY" -c "import sklearn" 2>/dev/null || { echo "rm quality bench: skipped (no scikit-learn in $PY)"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$SPINDLE" convert hh --aspect safety "$HH" > "$tmp/safety.jsonl" 2>/dev/null
"$SPINDLE" convert dpo "$SHARED/data/preference/dpo_en_demo.json" > "$tmp/helpfulness.jsonl" 2>/dev/null
for a in safety helpfulness; do
  n=$(wc -l < "$tmp/$a.jsonl"); k=$(( n * 4 / 5 ))
  head -n "$k" "$tmp/$a.jsonl" > "$tmp/train.jsonl"; tail -n +$(( k + 1 )) "$tmp/$a.jsonl" > "$tmp/heldout.jsonl"
  "$PY" bench/rm_baselines.py "$tmp/train.jsonl" "$tmp/heldout.jsonl" --label "$a"
  [ -f "$OUT/rm-real/rm-$a/eval.txt" ] && echo "$a reward model (last make rm-real) $(tail -n 1 "$OUT/rm-real/rm-$a/eval.txt")"
done
exit 0
