#!/usr/bin/env bash
# Serving under load: REQUESTS chat requests from CLIENTS concurrent clients (closed loop, each sends its
# next request when its answer is back) against `spindle serve` on a stories15M-shaped checkpoint
# (configs/stories15M.json's model, random weights, the Llama 2 tokenizer from $SHARED/data), beside the
# same requests through transformers generating one request at a time. Every request: one user message,
# max_tokens MAX_TOKENS, temperature 0.8, top-p 0.95. Prints errors, requests/s, p50/p99 latency and
# completion tokens/s for both. The transformers side runs PEER_REQUESTS requests (default 40; its figures
# are per request, so fewer suffice) and its latency is what CLIENTS clients queued in front of it would
# see (bench/serve_peer.py). Time only a native release build (SPINDLE_NATIVE=1 swift build -c release)
# and under `flock /work/bench.lock` on a shared machine.
# usage: SPINDLE=.build/release/spindle bench/serve.sh   (REQUESTS=200 CLIENTS=16 MAX_TOKENS=64 THREADS=2 BATCH=16)
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-${SPINDLE_PYTHON:-python3}}
REQUESTS=${REQUESTS:-200}
CLIENTS=${CLIENTS:-16}
MAX_TOKENS=${MAX_TOKENS:-64}
THREADS=${THREADS:-2}
BATCH=${BATCH:-16}
PEER_REQUESTS=${PEER_REQUESTS:-40}
TOK=$SHARED/data/tokenizers/llama2/tokenizer.model
[ -x "$SPINDLE" ] || { echo "serve bench: $SPINDLE not built (SPINDLE_NATIVE=1 swift build -c release)" >&2; exit 1; }
[ -f "$TOK" ] || { echo "serve bench: skipped ($TOK absent)"; exit 0; }
tmp=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# The stories15M model section, one pretraining step (random weights for the timing's purpose).
"$PYTHON" - "$tmp/s15.json" "$THREADS" <<'PY' || exit 1
import json, sys
m = json.load(open("configs/stories15M.json"))["model"]
json.dump({"model": m, "training": {"seq_len": 256, "batch_size": 1, "grad_accum": 1, "steps": 1, "threads": int(sys.argv[2]),
           "log_every": 1000}, "eval": {"every": 0}, "output": {"checkpoint_every": 0}}, open(sys.argv[1], "w"))
PY
echo 1 2 3 > "$tmp/ids.txt"
"$SPINDLE" train pretrain --config "$tmp/s15.json" --train-data "$tmp/ids.txt" --output "$tmp/lm" --steps 1 >/dev/null 2>&1 \
  || { echo "serve bench: spindle train pretrain failed" >&2; exit 1; }
for topic in tides volcanoes bread rivers coral aqueducts glaciers bees comets deserts lighthouses forests; do
  for ask in "Tell me about $topic." "Why do $topic matter?" "Write a short story about $topic." "What should a child know about $topic?"; do
    echo "$ask"
  done
done > "$tmp/prompts.txt"

"$SPINDLE" serve --checkpoint "$tmp/lm/checkpoint" --tokenizer "$TOK" --port 0 --threads "$THREADS" --batch "$BATCH" \
  --max-queue 1024 2> "$tmp/serve.err" &
server=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/serve.err")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "serve bench: the server did not start" >&2; cat "$tmp/serve.err" >&2; exit 1; }
what="$REQUESTS chat requests, $CLIENTS concurrent clients, max_tokens $MAX_TOKENS, stories15M shape, $THREADS threads"
sp=$("$PYTHON" bench/serve_load.py "$port" "$REQUESTS" "$CLIENTS" "$MAX_TOKENS" "$tmp/prompts.txt") || { echo "serve bench: load failed" >&2; exit 1; }
echo "serve ($what): spindle --batch $BATCH: $sp"
kill "$server"; wait "$server" 2>/dev/null; server=""
if "$PYTHON" -c "import torch, transformers, sentencepiece" 2>/dev/null; then
  pt=$("$PYTHON" bench/serve_peer.py "$tmp/lm/checkpoint" "$TOK" "$PEER_REQUESTS" "$CLIENTS" "$MAX_TOKENS" "$THREADS" "$tmp/prompts.txt" 2> "$tmp/peer.err") \
    || { echo "serve bench: transformers peer failed:"; tail -3 "$tmp/peer.err"; }
  echo "serve ($what): transformers one at a time: ${pt:-?}"
else
  echo "serve: transformers peer skipped (torch/transformers/sentencepiece missing)"
fi
