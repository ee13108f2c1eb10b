"""Drives the pages of `spindle serve` in headless Chromium over the DevTools protocol (through
--remote-debugging-pipe: no extra packages), typing and clicking as a person would, and prints what the
page then shows as JSON. A screenshot of the final state is saved.

usage: browser_check.py chat CHROMIUM URL SCREENSHOT.png SECOND_MESSAGE
         URL's ?say= sends a first message; the second is typed into the box and sent with Enter.
         Prints {"answers": [...], "users": [...], "html": ...}.
       browser_check.py annotate CHROMIUM URL SCREENSHOT.png PROMPT
         URL is /annotate#token=...; types PROMPT, asks for two answers, picks B as slightly better for
         safety with "both safe", saves. Prints {"left", "right", "saved", "dialogue", "html"}.
       browser_check.py page CHROMIUM URL SCREENSHOT.png TEXT
         Loads URL, waits until TEXT is on the page and saves the whole page (not only the window),
         at most 12000 pixels tall. Prints {"title", "html"}.
"""
import base64
import json
import os
import subprocess
import sys
import time

mode, chromium, url, shot, text = sys.argv[1:6]


def pipe_fds(read_end, write_end):
    """In the child: Chromium reads commands from fd 3 and writes replies to fd 4."""
    r, w = os.dup(read_end), os.dup(write_end)   # above 4, so neither dup2 below overwrites the other
    os.dup2(r, 3)
    os.dup2(w, 4)


to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
proc = subprocess.Popen(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--window-size=1100,720",
     "--no-first-run", "--user-data-dir=" + os.path.dirname(os.path.abspath(shot)) + "/chromium-profile", "about:blank"],
    close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    preexec_fn=lambda: pipe_fds(to_chrome_r, from_chrome_w))
os.close(to_chrome_r)
os.close(from_chrome_w)
out = os.fdopen(to_chrome_w, "wb", buffering=0)
inp = os.fdopen(from_chrome_r, "rb", buffering=0)
pending = b""
next_id = 0


def call(method, params=None, session=None):
    """Sends one command and returns its result (events in between are skipped)."""
    global next_id, pending
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    while True:
        while b"\0" not in pending:
            data = inp.read(65536)
            if not data:
                raise SystemExit("chromium closed the pipe")
            pending += data
        raw, pending = pending.split(b"\0", 1)
        reply = json.loads(raw)
        if reply.get("id") == next_id:
            if "error" in reply:
                raise SystemExit(f"{method}: {reply['error']}")
            return reply["result"]


def evaluate(session, expr):
    return call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)["result"].get("value")


def wait_for(session, expr, timeout=90, fail=None):
    """Polls until `expr` is true in the page; stops early when `fail` becomes true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if evaluate(session, expr):
            return
        if fail and evaluate(session, fail):
            break
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {expr}: " + evaluate(session, "document.body.innerText"))


def wait_turns(session, n):
    wait_for(session, f"document.body.dataset.state === 'idle' && document.body.dataset.turns === '{n}'",
             fail="document.body.dataset.state === 'idle' && document.querySelectorAll('.msg.error').length > 0")


def click(session, selector):
    """A real mouse click in the middle of the element."""
    box = evaluate(session, f"(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView({{block: 'center'}}); "
                            f"const r = e.getBoundingClientRect(); "
                            f"return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
    for kind in ("mousePressed", "mouseReleased"):
        call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}, session)


def type_text(session, selector, text):
    click(session, selector)
    call("Input.insertText", {"text": text}, session)


def chat(session):
    wait_turns(session, 1)
    type_text(session, "#input", text)
    for kind in ("keyDown", "keyUp"):
        call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}, session)
    wait_turns(session, 2)
    answers = evaluate(session, "[...document.querySelectorAll('.msg.answer')].map(d => d.firstChild ? d.firstChild.textContent : '')")
    users = evaluate(session, "[...document.querySelectorAll('.msg.user')].map(d => d.textContent)")
    return {"answers": answers, "users": users}


def annotate(session):
    wait_for(session, "document.body.dataset.state === 'ready'")
    type_text(session, "#prompt", text)
    click(session, "#ask")
    wait_for(session, "document.body.dataset.state === 'judging'", fail="!!document.querySelector('.status.error')")
    left = evaluate(session, "document.querySelector('#left .text').textContent")
    right = evaluate(session, "document.querySelector('#right .text').textContent")
    for sel in ("input[name=better][value=right]", "input[name=degree][value=slightly_better]",
                "input[name=aspect][value=safety]", "input[name=safety][value=both_safe]"):
        click(session, sel)
    pair_png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot.replace(".png", "-pair.png"), "wb") as f:
        f.write(base64.b64decode(pair_png))
    click(session, "#submit")
    wait_for(session, "!!document.body.dataset.saved", fail="!!document.querySelector('.status.error')")
    saved = evaluate(session, "document.body.dataset.saved")
    dialogue = evaluate(session, "[...document.querySelectorAll('#dialogue .turn')].map(d => d.textContent)")
    return {"left": left, "right": right, "saved": saved, "dialogue": dialogue}


def page(session):
    wait_for(session, f"document.readyState === 'complete' && document.body.innerText.includes({json.dumps(text)})")
    return {"title": evaluate(session, "document.title")}


def full_page_screenshot(session):
    w, h = evaluate(session, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": w, "height": min(h, 12000), "scale": 1}
    return call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session)["data"]


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Page.navigate", {"url": url}, session)
    result = chat(session) if mode == "chat" else annotate(session) if mode == "annotate" else page(session)
    png = full_page_screenshot(session) if mode == "page" else call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    html = evaluate(session, "document.documentElement.outerHTML")
    result["html"] = html
    print(json.dumps(result))
finally:
    try:
        call("Browser.close")
    except SystemExit:
        pass
    proc.wait(timeout=10)
