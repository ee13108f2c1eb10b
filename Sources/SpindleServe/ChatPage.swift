// ChatPage.swift: the chat page served at `/`, kept in the binary as one string: plain HTML, CSS and
// JavaScript with no external asset, so it works offline. It streams answers from
// /v1/chat/completions (fetch + ReadableStream over the SSE body). `?say=TEXT` sends TEXT once the
// page has loaded (a hook for scripted checks); `?system=`, `?temperature=`, `?top_p=`, `?max_tokens=`
// preset the controls and `?seed=` fixes the seed of every request, so a check can compare answers.
enum ChatPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spindle chat</title>
<style>
  :root { --bg: #f6f5f2; --panel: #fff; --ink: #222; --muted: #777; --accent: #2f5d8a; --user: #e8eef5; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--ink);
         display: grid; grid-template-columns: 260px 1fr; height: 100vh; }
  aside { background: var(--panel); border-right: 1px solid #ddd; padding: 16px; overflow: auto; }
  aside h1 { font-size: 18px; margin: 0 0 4px; }
  aside .model { color: var(--muted); font-size: 13px; margin-bottom: 16px; word-break: break-all; }
  label { display: block; font-size: 13px; color: var(--muted); margin: 12px 0 4px; }
  textarea, input[type=number] { width: 100%; font: inherit; padding: 6px; border: 1px solid #ccc; border-radius: 6px; }
  input[type=range] { width: 100%; }
  main { display: flex; flex-direction: column; height: 100vh; }
  #log { flex: 1; overflow: auto; padding: 20px; }
  .msg { max-width: 760px; margin: 0 auto 12px; padding: 10px 14px; border-radius: 10px; white-space: pre-wrap; }
  .user { background: var(--user); }
  .assistant { background: var(--panel); border: 1px solid #e2e2e2; }
  .meta { color: var(--muted); font-size: 12px; margin-top: 4px; }
  .error { background: #fdecea; color: #8a1f11; }
  form { display: flex; gap: 8px; padding: 12px 20px; background: var(--panel); border-top: 1px solid #ddd; }
  form textarea { flex: 1; height: 54px; resize: vertical; }
  button { font: inherit; padding: 0 18px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { background: #9bb; cursor: default; }
  button.secondary { background: #888; }
</style>
</head>
<body data-state="idle">
<aside>
  <h1>Spindle chat</h1>
  <div class="model" id="model">model: …</div>
  <label for="system">System prompt</label>
  <textarea id="system" rows="5" placeholder="You are a helpful assistant."></textarea>
  <label for="temperature">Temperature <span id="temperatureValue">0.8</span></label>
  <input id="temperature" type="range" min="0" max="2" step="0.05" value="0.8">
  <label for="topP">Top-p <span id="topPValue">0.9</span></label>
  <input id="topP" type="range" min="0.05" max="1" step="0.05" value="0.9">
  <label for="maxTokens">Max tokens</label>
  <input id="maxTokens" type="number" min="1" placeholder="as room allows">
  <label><button type="button" class="secondary" id="clear">New conversation</button></label>
</aside>
<main>
  <div id="log"></div>
  <form id="form">
    <textarea id="input" placeholder="Type a message (Enter sends, Shift+Enter for a new line)"></textarea>
    <button id="send" type="submit">Send</button>
    <button id="stop" type="button" class="secondary" disabled>Stop</button>
  </form>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let history = [];           // [{role, content}] of finished turns
let controller = null;      // AbortController of the answer being streamed
let modelName = null;
let seed = null;            // ?seed=N: sent with every request

for (const id of ["temperature", "topP"]) {
  $(id).addEventListener("input", () => { $(id + "Value").textContent = $(id).value; });
}

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  $("log").appendChild(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
  document.body.dataset.state = busy ? "streaming" : "idle";
}

async function send(text) {
  if (!text.trim() || controller) return;
  bubble("user", text);
  const system = $("system").value.trim();
  const answer = bubble("assistant", "");
  answer.classList.add("answer");
  const meta = document.createElement("div");
  meta.className = "meta";
  controller = new AbortController();
  setBusy(true);
  let content = "", finish = null, usage = null;
  try {
    // The conversation's latest turns that fit: when the context is exceeded, the oldest question and
    // answer are left out and the request is sent again (the history itself keeps every turn).
    let dropped = 0, res;
    for (;;) {
      const messages = system ? [{role: "system", content: system}] : [];
      messages.push(...history.slice(dropped), {role: "user", content: text});
      const body = {messages, stream: true, temperature: parseFloat($("temperature").value),
                    top_p: parseFloat($("topP").value)};
      // Blank: the server's default, cut to the room the context leaves.
      const maxTokens = parseInt($("maxTokens").value, 10);
      if (maxTokens > 0) body.max_tokens = maxTokens;
      if (modelName) body.model = modelName;
      if (seed !== null) body.seed = seed;
      res = await fetch("/v1/chat/completions", {method: "POST", headers: {"Content-Type": "application/json"},
                                                 body: JSON.stringify(body), signal: controller.signal});
      if (res.ok) break;
      const err = await res.json().catch(() => ({error: {message: res.statusText}}));
      const code = err.error && err.error.code;
      if (code === "context_length_exceeded" && dropped + 2 <= history.length) { dropped += 2; continue; }
      throw new Error(err.error ? err.error.message : res.statusText);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;       // ": keep-alive" comments
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          if (chunk.usage) usage = chunk.usage;
          for (const choice of chunk.choices) {
            if (choice.delta && choice.delta.content) { content += choice.delta.content; answer.textContent = content; }
            if (choice.finish_reason) finish = choice.finish_reason;
          }
          $("log").scrollTop = $("log").scrollHeight;
        }
      }
    }
    history.push({role: "user", content: text}, {role: "assistant", content});
    meta.textContent = (finish || "") + (usage ? ` · ${usage.prompt_tokens} prompt + ${usage.completion_tokens} answer tokens` : "")
      + (dropped ? ` · the ${dropped / 2} oldest exchange(s) left out to fit the context` : "");
  } catch (e) {
    if (e.name === "AbortError") {
      meta.textContent = "stopped";
      history.push({role: "user", content: text}, {role: "assistant", content});
    } else {
      answer.classList.add("error");
      answer.textContent = "Error: " + e.message;
    }
  } finally {
    answer.appendChild(meta);
    controller = null;
    setBusy(false);
    document.body.dataset.turns = String(history.length / 2);
  }
}

$("form").addEventListener("submit", (e) => { e.preventDefault(); const t = $("input").value; $("input").value = ""; send(t); });
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
$("stop").addEventListener("click", () => { if (controller) controller.abort(); });
$("clear").addEventListener("click", () => { if (!controller) { history = []; $("log").textContent = ""; } });

(async () => {
  try {
    const res = await fetch("/v1/models");
    const list = await res.json();
    modelName = list.data[0].id;
    $("model").textContent = "model: " + modelName;
  } catch (e) { $("model").textContent = "model: (unavailable)"; }
  const params = new URLSearchParams(location.search);
  if (params.has("system")) $("system").value = params.get("system");
  if (params.has("temperature")) { $("temperature").value = params.get("temperature"); $("temperatureValue").textContent = $("temperature").value; }
  if (params.has("top_p")) { $("topP").value = params.get("top_p"); $("topPValue").textContent = $("topP").value; }
  if (params.has("max_tokens")) $("maxTokens").value = params.get("max_tokens");
  if (params.has("seed")) seed = parseInt(params.get("seed"), 10);
  if (params.has("say")) send(params.get("say"));
})();
</script>
</body>
</html>
"""#
}
