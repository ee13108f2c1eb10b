#!/usr/bin/env bash
# `make zh`: Chinese-LLaMA's recipe at toy scale (docs/ADAPT.md). A Chinese tokenizer trained on
# $SHARED/data/pretrain/zh (classical prose, Shijing, Song ci, a modern article) is merged into Llama 2's
# (base ids kept); tokens per Chinese character on held-out text before and after the merge; a nano
# model pretrained on English with Llama 2's tokenizer is resized to the merged vocabulary (new rows:
# piece-mean) and its pretraining continued on the Chinese text; the loss curve is printed every 20 steps.
# A few minutes of CPU with a release build.
# usage: recipes/zh.sh SPINDLE SHARED OUT   (STEPS=150 ZH_VOCAB=6000 to change the sizes)
set -euo pipefail
BIN=$1 SHARED=$2 OUT=$3 STEPS=${STEPS:-150} ZH_VOCAB=${ZH_VOCAB:-6000}
TOK="$SHARED/data/tokenizers/llama2/tokenizer.model" ZH="$SHARED/data/pretrain/zh"
EN="$SHARED/data/pretrain/en/tinyshakespeare/input.txt"
for f in "$TOK" "$ZH" "$EN"; do [ -e "$f" ] || { echo "zh: $f missing" >&2; exit 66; }; done
mkdir -p "$OUT"
# Documents: one poem / chapter / paragraph group per line; every 20th held out.
python3 - "$ZH" "$EN" "$OUT" <<'PY'
import glob, json, sys
zh, en, out = sys.argv[1:4]
docs = []
for f in sorted(glob.glob(zh + "/**/*.json", recursive=True)):
    d = json.load(open(f, encoding="utf-8"))
    for item in d if isinstance(d, list) else []:
        lines = item.get("paragraphs") or item.get("content") if isinstance(item, dict) else None
        if isinstance(lines, list) and lines: docs.append("".join(x for x in lines if isinstance(x, str)))
for f in sorted(glob.glob(zh + "/*.txt")):
    docs += [l.strip() for l in open(f, encoding="utf-8") if l.strip()]
train, held = [d for i, d in enumerate(docs) if i % 20], [d for i, d in enumerate(docs) if i % 20 == 0]
for name, part in (("zh-train", train), ("zh-heldout", held)):
    open(f"{out}/{name}.txt", "w", encoding="utf-8").write("\n".join(part) + "\n")
    with open(f"{out}/{name}.jsonl", "w", encoding="utf-8") as w:
        for i, d in enumerate(part): w.write(json.dumps({"id": f"{name}-{i}", "text": d}, ensure_ascii=False) + "\n")
lines = [l.strip() for l in open(en, encoding="utf-8") if l.strip()]
open(f"{out}/en-train.txt", "w", encoding="utf-8").write("\n".join(" ".join(lines[i:i + 40]) for i in range(0, len(lines), 40)) + "\n")
print(f"zh: {len(train)} training documents, {len(held)} held out", file=sys.stderr)
PY
"$BIN" tokenizer train --overwrite --input "$OUT/zh-train.txt" --model_prefix "$OUT/zh" --vocab_size "$ZH_VOCAB" 2> "$OUT/tokenizer.log"
"$BIN" tokenizer merge --overwrite --base "$TOK" --add "$OUT/zh.model" -o "$OUT/merged.model"
per_char() {   # MODEL -> tokens per Chinese character on the held-out text
  "$BIN" tokenizer encode --model "$1" < "$OUT/zh-heldout.txt" | python3 -c '
import sys
text = open(sys.argv[1], encoding="utf-8").read()
han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or "\uf900" <= c <= "\ufaff")
tokens = sum(len(l.split()) for l in sys.stdin)
print(f"{tokens / han:.3f} ({tokens} tokens, {han} Chinese characters)")' "$OUT/zh-heldout.txt"
}
BEFORE=$(per_char "$TOK") AFTER=$(per_char "$OUT/merged.model")
# An English base model (Llama 2's tokenizer), grown to the merged vocabulary, pretraining continued on Chinese.
"$BIN" train pretrain --config nano --train-data <("$BIN" tokenizer encode --model "$TOK" < "$OUT/en-train.txt") \
  --steps "$STEPS" -o "$OUT/base" --overwrite 2> "$OUT/base.log"
"$BIN" model resize --checkpoint "$OUT/base/checkpoint" --tokenizer "$OUT/merged.model" --init piece-mean \
  --base-tokenizer "$TOK" -o "$OUT/resized" --overwrite
for part in train heldout; do
  "$BIN" pack pretrain --tokenizer "$OUT/merged.model" --seq-len 256 --overwrite -o "$OUT/shards-$part" "$OUT/zh-$part.jsonl" 2> /dev/null
done
"$BIN" train pretrain --config nano --init "$OUT/resized" --train-data "$OUT/shards-train" \
  --eval-data "$OUT/shards-heldout" --steps "$STEPS" -o "$OUT/continued" --overwrite 2> "$OUT/continued.log"
echo "tokens per Chinese character (held out): Llama 2 tokenizer $BEFORE; merged $AFTER"
python3 - "$OUT/continued/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
train = {r["step"]: r["loss"] for r in rows if "loss" in r}
held = {r["step"]: r["eval_loss"] for r in rows if "eval_loss" in r}
print("continued pretraining on Chinese (merged tokenizer): step, train loss, held-out loss")
for s in sorted(train):
    if s == 1 or s % 20 == 0 or s == max(train) or s in held:
        print(f"  {s:5d}  {train[s]:.4f}  {held[s]:.4f}" if s in held else f"  {s:5d}  {train[s]:.4f}")
PY
echo "loss curve: $OUT/continued/report.html"
