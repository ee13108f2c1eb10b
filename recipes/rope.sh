#!/usr/bin/env bash
# RoPE scaling on a small model (docs/ADAPT.md): a nano-shaped model pretrained at 128 tokens on
# tinyshakespeare (Llama 2 tokenizer), then perplexity against position over 512-token windows (4x the
# trained length) for: the model as is (extrapolation), with linear / dynamic / yarn scaling applied
# without training, and after position-interpolation fine-tuning (`train pretrain --init ... --rope-scaling
# linear:4 --seq-len 512`). A few minutes of CPU with a release build.
# usage: recipes/rope.sh SPINDLE OUT [SHARED_DATA]
set -euo pipefail
BIN=$1 OUT=$2 DATA=${3:-../shared/data}
TOK="$DATA/tokenizers/llama2/tokenizer.model" TEXT="$DATA/pretrain/en/tinyshakespeare/input.txt"
for f in "$TOK" "$TEXT"; do [ -f "$f" ] || { echo "rope: $f missing" >&2; exit 66; }; done
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
# Documents of 150 lines (~1,500 tokens, longer than every window); the last 10% held out.
python3 - "$TEXT" "$OUT" <<'PY'
import json, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
docs = [" ".join(l for l in lines[i:i + 150] if l) for i in range(0, len(lines), 150)]
cut = len(docs) * 9 // 10
for name, part in (("train", docs[:cut]), ("heldout", docs[cut:])):
    with open(f"{sys.argv[2]}/{name}.jsonl", "w", encoding="utf-8") as f:
        for d in part: f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
open(f"{sys.argv[2]}/train.txt", "w", encoding="utf-8").write("\n".join(docs[:cut]) + "\n")
PY
"$BIN" tokenizer encode --model "$TOK" < "$OUT/train.txt" > "$OUT/train.ids"
python3 - "$here/configs/nano.json" "$OUT/nano128.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("$schema", None)
c["model"]["max_seq_len"] = 128
c["training"].update(seq_len=128, steps=300, log_every=50)
c["eval"]["every"] = 0
json.dump(c, open(sys.argv[2], "w"))
PY
"$BIN" train pretrain --config "$OUT/nano128.json" --train-data "$OUT/train.ids" -o "$OUT/base" --overwrite
"$BIN" train pretrain --config "$OUT/nano128.json" --init "$OUT/base/checkpoint" --rope-scaling linear:4 --seq-len 512 \
  --train-data "$OUT/train.ids" --steps 60 -o "$OUT/pi" --overwrite
EVAL=(--tokenizer "$TOK" --data "$OUT/heldout.jsonl" --format text --context 512 --buckets 8 --max-windows 48)
"$BIN" eval ppl --by-position "${EVAL[@]}" --checkpoint "$OUT/base/checkpoint" --checkpoint "$OUT/pi/checkpoint" \
  --overwrite --svg "$OUT/ppl-base-pi.svg" -o "$OUT/ppl-base-pi.json"
for s in linear:4 dynamic:4 yarn:4; do
  "$BIN" eval ppl --by-position "${EVAL[@]}" --checkpoint "$OUT/base/checkpoint" --rope-scaling $s \
    --overwrite -o "$OUT/ppl-${s%%:*}.json"
done
