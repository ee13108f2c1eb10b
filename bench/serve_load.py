#!/usr/bin/env python3
"""Load generator for Spindle's serving benchmark (standard library only).

  serve_load.py PORT REQUESTS CLIENTS MAX_TOKENS PROMPTS.txt

CLIENTS threads each send POST /v1/chat/completions one after another (a closed loop) until REQUESTS
have been sent, request i asking about line i of PROMPTS.txt (cycled) with max_tokens MAX_TOKENS,
temperature 0.8, top_p 0.95 and seed i. Prints errors, requests/s, p50/p99 latency (seconds, from
sending the request to the whole answer) and completion tokens/s over the wall time of the run.
"""
import http.client
import json
import sys
import threading
import time

port, total, clients, max_tokens = map(int, sys.argv[1:5])
prompts = [line.strip() for line in open(sys.argv[5]) if line.strip()]
lock = threading.Lock()
next_index = [0]
latencies, tokens, errors = [], [0], []


def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    while True:
        with lock:
            i = next_index[0]
            if i >= total:
                return
            next_index[0] += 1
        body = json.dumps({"messages": [{"role": "user", "content": prompts[i % len(prompts)]}], "max_tokens": max_tokens,
                           "temperature": 0.8, "top_p": 0.95, "seed": i})
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            dt = time.perf_counter() - t0
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {data[:200]!r}")
            usage = json.loads(data)["usage"]
            with lock:
                latencies.append(dt)
                tokens[0] += usage["completion_tokens"]
        except Exception as e:  # counted, and the connection renewed
            with lock:
                errors.append(str(e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


t0 = time.perf_counter()
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
for e in errors[:3]:
    print("error:", e, file=sys.stderr)
print(f"requests {len(latencies)} errors {len(errors)} wall {wall:.2f} s req/s {len(latencies) / wall:.2f} "
      f"p50 {pct(latencies, 50):.3f} s p99 {pct(latencies, 99):.3f} s tokens {tokens[0]} tokens/s {tokens[0] / wall:.1f}")
