#!/usr/bin/env bash
# `make rm-real`: reward models on real preference data, end to end with Spindle's own stages.
#
#   1. data    Anthropic HH harmless-base part A (safety) and LLaMA-Factory's dpo_en_demo (helpfulness),
#              the last 20% of each held out (SAFETY_HELDOUT=FILE: train on all of part A, test on FILE)
#   2. base    pretraining (configs/base-hh.json) on the training transcripts plus English text from
#              ../shared/data: Wikipedia, C4, WikiText-2 (no held-out text)
#   3. RMs     configs/rm-hh.json: safety from scratch (and on the base's trunk, for comparison),
#              helpfulness on the base's trunk; then `spindle eval rm` on the held-out pairs
#   4. the baselines on the same split (length heuristics, TF-IDF bag-of-words logistic regression)
#
# usage: recipes/rm-real.sh SPINDLE SHARED OUT [SAFETY_HELDOUT]
# The last line is `safety accuracy X`.
set -euo pipefail
BIN=$1 SHARED=$2 OUT=$3 HELD=${4:-}
D="$SHARED/data"
TOK="$D/tokenizers/llama2/tokenizer.model"
HH="$D/preference/hh-rlhf/harmless-base-part-a.jsonl.gz"
for f in "$TOK" "$HH" "$D/preference/dpo_en_demo.json" "$D/pretrain/en/wiki_demo.txt"; do
  [ -e "$f" ] || { echo "rm-real: $f is missing (SHARED=$SHARED)" >&2; exit 66; }
done
[ -z "$HELD" ] || [ -e "$HELD" ] || { echo "rm-real: SAFETY_HELDOUT=$HELD does not exist" >&2; exit 66; }
mkdir -p "$OUT"
start=$SECONDS
stage() { echo "rm-real: $1 done ($(( SECONDS - t0 )) s)"; times+=("$1 $(( SECONDS - t0 )) s"); }
times=()

# 1. Data. `convert hh` maps record N of the transcripts to line N (it stops on a bad record), so the
# first K transcripts are exactly the K training pairs.
t0=$SECONDS
"$BIN" convert hh --aspect safety "$HH" > "$OUT/safety.jsonl"
"$BIN" convert dpo "$D/preference/dpo_en_demo.json" > "$OUT/helpfulness.jsonl"
split() {   # FILE -> FILE-train.jsonl, FILE-heldout.jsonl (last 20%)
  local n k; n=$(wc -l < "$OUT/$1.jsonl"); k=$(( n * 4 / 5 ))
  head -n "$k" "$OUT/$1.jsonl" > "$OUT/$1-train.jsonl"; tail -n +$(( k + 1 )) "$OUT/$1.jsonl" > "$OUT/$1-heldout.jsonl"
}
split helpfulness
if [ -z "$HELD" ]; then
  split safety
else
  cp "$OUT/safety.jsonl" "$OUT/safety-train.jsonl"
  # Preference JSONL (a "prompt" field) is used as it is; HH transcripts are converted.
  if gzip -cdf "$HELD" | awk 'NR == 1' | grep '"prompt"' > /dev/null; then gzip -cdf "$HELD" > "$OUT/safety-heldout.jsonl"
  else "$BIN" convert hh --aspect safety "$HELD" > "$OUT/safety-heldout.jsonl"; fi
fi
k=$(wc -l < "$OUT/safety-train.jsonl")
gzip -cd "$HH" | awk -v k="$k" 'NR <= k' > "$OUT/hh-train-transcripts.jsonl"   # awk reads to the end: no SIGPIPE
for a in safety helpfulness; do
  "$BIN" pack preference --tokenizer "$TOK" --seq-len 4096 --mix all --overwrite -o "$OUT/shards-$a" "$OUT/$a-train.jsonl"
done
stage data

# 2. The base: a language model on the training dialogues and English text.
t0=$SECONDS
{
  "$BIN" ingest --format jsonl --text-field chosen --source hh "$OUT/hh-train-transcripts.jsonl"
  "$BIN" ingest --format jsonl --text-field rejected --source hh "$OUT/hh-train-transcripts.jsonl"
  "$BIN" ingest --format text --blocks --source wiki "$D/pretrain/en/wiki_demo.txt"
  "$BIN" ingest --format jsonl --source web "$D/pretrain/en/c4_demo.jsonl"
  "$BIN" ingest --format text --blocks --source wikitext "$D/pretrain/en/wikitext-2/valid.txt"
} > "$OUT/base-docs.jsonl"
"$BIN" pack pretrain --tokenizer "$TOK" --seq-len 256 --overwrite -o "$OUT/shards-base" "$OUT/base-docs.jsonl"
"$BIN" train pretrain --overwrite --config base-hh --train-data "$OUT/shards-base" --output "$OUT/base"
stage base

# 3. Reward models, scored on their held-out pairs. Safety: from scratch in rm-hh's 1-layer, 32-wide shape, reward averaged over the answer
# (the ablation in docs/POSTTRAIN.md: at this budget a pretrained trunk ranks HH pairs worse); and, for
# comparison, the same on the base's trunk. Helpfulness (239 long pairs): on the base's trunk, last token.
reward_model() {   # NAME SHARDS HELDOUT [train rm options]
  local name=$1 shards=$2 held=$3; shift 3
  t0=$SECONDS
  "$BIN" train rm --overwrite --config rm-hh --pooling mean-response --epochs 2 --train-data "$shards" -o "$OUT/$name" "$@"
  "$BIN" eval rm --checkpoint "$OUT/$name/checkpoint" --tokenizer "$TOK" "$held" > "$OUT/$name/eval.txt"
  stage "$name"
}
reward_model rm-helpfulness "$OUT/shards-helpfulness" "$OUT/helpfulness-heldout.jsonl" --init "$OUT/base/checkpoint" --pooling last
reward_model rm-safety-base "$OUT/shards-safety" "$OUT/safety-heldout.jsonl" --init "$OUT/base/checkpoint"
reward_model rm-safety "$OUT/shards-safety" "$OUT/safety-heldout.jsonl"

# 4. Baselines on the same split (Python with scikit-learn: SPINDLE_PYTHON, else the peers' virtual
# environment that .ci/python-env makes, else python3).
PY=${SPINDLE_PYTHON:-}
[ -n "$PY" ] || { v="${SPINDLE_VENV:-$HOME/.cache/spindle-venv}/bin/python"; if [ -x "$v" ]; then PY=$v; else PY=python3; fi; }
here=$(cd "$(dirname "$0")/.." && pwd)
for a in helpfulness safety; do
  if "$PY" -c "import sklearn" 2>/dev/null; then
    "$PY" "$here/bench/rm_baselines.py" "$OUT/$a-train.jsonl" "$OUT/$a-heldout.jsonl" --label "$a" > "$OUT/rm-$a/baselines.txt"
  else
    echo "$a baselines skipped: no scikit-learn in $PY" > "$OUT/rm-$a/baselines.txt"
  fi
done

echo "rm-real: wall time $(( SECONDS - start )) s (${times[*]})"
for a in helpfulness safety; do
  echo "== $a reward model (held out: $(wc -l < "$OUT/$a-heldout.jsonl") pairs)"
  sed 's/^/  /' "$OUT/rm-$a/eval.txt"
  sed 's/^/  /' "$OUT/rm-$a/baselines.txt"
done
echo "safety, trunk from the base: $(tail -n 1 "$OUT/rm-safety-base/eval.txt")"
echo "helpfulness $(tail -n 1 "$OUT/rm-helpfulness/eval.txt")"
echo "safety $(tail -n 1 "$OUT/rm-safety/eval.txt")"
