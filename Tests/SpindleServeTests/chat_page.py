"""Drives the chat page of `spindle serve` in headless Chromium over the DevTools protocol (through
--remote-debugging-pipe: no extra packages). Loads URL (whose ?say= sends a first message), waits for
the streamed answer, then types a second message into the box and presses Enter like a person, waits
again, saves a screenshot and prints {"answers": [...], "turns": N, "html": ...} as JSON.

usage: chat_page.py CHROMIUM URL SCREENSHOT.png SECOND_MESSAGE
"""
import base64
import json
import os
import subprocess
import sys
import time

chromium, url, shot, second = sys.argv[1:5]


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


def wait_turns(session, n, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if evaluate(session, "document.body.dataset.state") == "idle":
            if evaluate(session, "document.body.dataset.turns || '0'") == str(n):
                return
            if evaluate(session, "document.querySelectorAll('.msg.error').length") > 0:
                break
        time.sleep(0.1)
    raise SystemExit(f"no answer {n} after {timeout} s: " + evaluate(session, "document.getElementById('log').innerText"))


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Page.navigate", {"url": url}, session)
    wait_turns(session, 1)
    # The second message is typed into the box and sent with Enter, as a person would.
    evaluate(session, "document.getElementById('input').focus()")
    call("Input.insertText", {"text": second}, session)
    for kind in ("keyDown", "keyUp"):
        call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}, session)
    wait_turns(session, 2)
    answers = evaluate(session, "[...document.querySelectorAll('.msg.answer')].map(d => d.firstChild ? d.firstChild.textContent : '')")
    users = evaluate(session, "[...document.querySelectorAll('.msg.user')].map(d => d.textContent)")
    png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    html = evaluate(session, "document.documentElement.outerHTML")
    print(json.dumps({"answers": answers, "users": users, "html": html}))
finally:
    try:
        call("Browser.close")
    except SystemExit:
        pass
    proc.wait(timeout=10)
