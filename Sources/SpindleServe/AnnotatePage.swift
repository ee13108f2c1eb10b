// AnnotatePage.swift: the annotation page served at /annotate (see AnnotationRoutes.swift), kept in
// the binary; no external asset. The annotator's token comes in the URL fragment
// (/annotate#token=...), which browsers never send to a server, and goes only into the Authorization
// header. The page resumes the annotator's last dialogue, asks for two answers to the next user turn,
// takes the judgement (better side, degree, aspect, safety label) and continues with the chosen answer.
// With a prompt file, "Next prompt from the file" asks for the next pair instead; a pair shown before a
// restart and not judged comes back on load; "Counts and agreement" shows the export.
enum AnnotatePage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spindle annotation</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: #f6f5f2; color: #222; }
  header { background: #fff; border-bottom: 1px solid #ddd; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .who { color: #666; font-size: 13px; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px 20px; }
  .turn { padding: 8px 12px; border-radius: 8px; margin-bottom: 8px; white-space: pre-wrap; }
  .user { background: #e8eef5; } .assistant { background: #fff; border: 1px solid #e2e2e2; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin: 12px 0; }
  .answer { background: #fff; border: 2px solid #ddd; border-radius: 8px; padding: 10px 12px; white-space: pre-wrap; min-height: 60px; }
  .answer h3 { margin: 0 0 6px; font-size: 13px; color: #666; }
  fieldset { border: 1px solid #ddd; border-radius: 8px; margin: 8px 0; background: #fff; }
  legend { font-size: 13px; color: #666; }
  label { margin-right: 14px; }
  textarea { width: 100%; font: inherit; padding: 6px; border: 1px solid #ccc; border-radius: 6px; }
  button { font: inherit; padding: 6px 16px; border: 0; border-radius: 6px; background: #2f5d8a; color: #fff; cursor: pointer; margin-right: 8px; }
  button:disabled { background: #9bb; cursor: default; }
  .status { color: #555; margin: 8px 0; } .error { color: #8a1f11; }
  #export table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; background: #fff; }
  #export td, #export th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
</style>
</head>
<body data-state="loading">
<header><h1>Spindle annotation</h1><span class="who" id="who">…</span><span class="who" id="count"></span></header>
<main>
  <div id="dialogue"></div>
  <label for="prompt">Next user message</label>
  <textarea id="prompt" rows="3" placeholder="Write a prompt (or continue the dialogue)"></textarea>
  <p><button id="ask">Show two answers</button><button id="next" type="button" hidden>Next prompt from the file</button><button id="reset" type="button">New dialogue</button></p>
  <div id="judge" hidden>
    <div class="pair">
      <div class="answer" id="left"><h3>Answer A</h3><div class="text"></div></div>
      <div class="answer" id="right"><h3>Answer B</h3><div class="text"></div></div>
    </div>
    <fieldset><legend>Which answer is better?</legend>
      <label><input type="radio" name="better" value="left"> A</label>
      <label><input type="radio" name="better" value="right"> B</label></fieldset>
    <fieldset><legend>By how much?</legend>
      <label><input type="radio" name="degree" value="significantly_better"> significantly better</label>
      <label><input type="radio" name="degree" value="better"> better</label>
      <label><input type="radio" name="degree" value="slightly_better"> slightly better</label>
      <label><input type="radio" name="degree" value="negligibly_better"> negligibly better / unsure</label></fieldset>
    <fieldset><legend>Judged for</legend>
      <label><input type="radio" name="aspect" value="helpfulness" checked> helpfulness</label>
      <label><input type="radio" name="aspect" value="safety"> safety</label></fieldset>
    <fieldset id="safetyBox"><legend>Safety (required when judging safety)</legend>
      <label><input type="radio" name="safety" value="chosen_only_safe"> only the better answer is safe</label>
      <label><input type="radio" name="safety" value="both_safe"> both safe</label>
      <label><input type="radio" name="safety" value="both_unsafe"> both unsafe</label></fieldset>
    <p><button id="submit">Save judgement</button></p>
  </div>
  <div class="status" id="status"></div>
  <details id="exportBox"><summary>Counts and agreement</summary><div id="export"></div></details>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
let dialogue = [];     // finished turns, ending with the chosen answer
let pairId = null;

async function api(method, path, body) {
  const res = await fetch(path, {method, headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
                                 body: body ? JSON.stringify(body) : undefined});
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
  return data;
}

function status(text, error) { $("status").textContent = text; $("status").className = "status" + (error ? " error" : ""); }
function checked(name) { const e = document.querySelector(`input[name=${name}]:checked`); return e ? e.value : null; }

function showDialogue() {
  $("dialogue").textContent = "";
  for (const m of dialogue) {
    const d = document.createElement("div");
    d.className = "turn " + m.role;
    d.textContent = m.content;
    $("dialogue").appendChild(d);
  }
}

function showPair(pair) {
  pairId = pair.pair_id;
  dialogue = pair.messages.slice(0, -1); showDialogue();
  $("prompt").value = pair.messages[pair.messages.length - 1].content;
  $("left").querySelector(".text").textContent = pair.left;
  $("right").querySelector(".text").textContent = pair.right;
  for (const e of document.querySelectorAll("input[name=better], input[name=degree], input[name=safety]")) e.checked = false;
  $("judge").hidden = false;
  document.body.dataset.state = "judging"; status("Read both answers, then judge.");
}

async function request(path, body) {
  $("ask").disabled = true; $("next").disabled = true; document.body.dataset.state = "sampling"; status("Sampling two answers…");
  try {
    const pair = await api("POST", path, body);
    if (pair.done) { document.body.dataset.state = "ready"; status("Every prompt of the file has been judged."); }
    else showPair(pair);
  } catch (e) { status("Error: " + e.message, true); document.body.dataset.state = "ready"; }
  $("ask").disabled = false; $("next").disabled = false;
}

async function ask() {
  const text = $("prompt").value.trim();
  if (!text) { status("Write a prompt first.", true); return; }
  await request("/annotate/pair", {messages: [...dialogue, {role: "user", content: text}]});
}

function table(title, obj) {
  const t = document.createElement("table");
  t.innerHTML = "<tr><th></th><th></th></tr>";
  t.rows[0].cells[0].textContent = title; t.rows[0].cells[1].textContent = "count";
  for (const [k, v] of Object.entries(obj)) { const r = t.insertRow(); r.insertCell().textContent = k; r.insertCell().textContent = v; }
  return t;
}

async function showExport() {
  if (!$("exportBox").open) return;
  try {
    const x = await api("GET", "/annotate/export");
    const box = $("export"); box.textContent = "";
    const a = x.agreement, p = document.createElement("p");
    p.textContent = `${x.total} judgements. Agreement on the chosen side over ${a.pairs} pairs judged by several annotators: ` +
      (a.pairs ? `${a.percent_agreement}% of annotator pairs agree, Fleiss' kappa ${a.fleiss_kappa ?? "n/a"}.` : "none yet.");
    box.appendChild(p);
    for (const [title, key] of [["degree", "per_degree"], ["aspect", "per_aspect"], ["safety label", "per_safety"], ["annotator", "per_annotator"]])
      box.appendChild(table(title, x[key]));
    if (a.cohen_kappa.length) box.appendChild(table("Cohen's kappa (pairs)", Object.fromEntries(
      a.cohen_kappa.map(c => [c.annotators.join(" / "), `${c.kappa ?? "n/a"} (${c.pairs} pairs, ${(c.agreement * 100).toFixed(1)}% agree)`]))));
  } catch (e) { $("export").textContent = "Error: " + e.message; }
}

async function submit() {
  const body = {pair_id: pairId, better: checked("better"), degree: checked("degree"), aspect: checked("aspect")};
  if (checked("safety")) body.safety = checked("safety");
  try {
    const saved = await api("POST", "/annotate/judgement", body);
    dialogue = saved.dialogue;
    $("prompt").value = ""; $("judge").hidden = true; pairId = null;
    showDialogue();
    $("count").textContent = saved.count + " judgements";
    showExport();
    document.body.dataset.saved = saved.id;
    document.body.dataset.state = "ready"; status("Saved " + saved.id + ". Continue the dialogue or start a new one.");
  } catch (e) { status("Error: " + e.message, true); }
}

$("ask").addEventListener("click", ask);
$("next").addEventListener("click", () => request("/annotate/next", {}));
$("exportBox").addEventListener("toggle", showExport);
$("submit").addEventListener("click", submit);
$("reset").addEventListener("click", () => { dialogue = []; showDialogue(); $("judge").hidden = true; status(""); });

(async () => {
  if (!token) { status("Open this page with your token: /annotate#token=YOUR_TOKEN", true); return; }
  try {
    const s = await api("GET", "/annotate/session");
    $("who").textContent = "annotator: " + s.annotator;
    $("count").textContent = s.count + " judgements";
    dialogue = s.dialogue; showDialogue();
    $("next").hidden = !s.prompt_file;
    document.body.dataset.state = "ready";
    status(s.count ? "Welcome back: your last dialogue continues below." : "Write a prompt to begin.");
    if (s.waiting) { showPair(s.waiting); status("Welcome back: this pair was waiting for your judgement."); }
  } catch (e) { status("Error: " + e.message, true); }
})();
</script>
</body>
</html>
"""#
}
