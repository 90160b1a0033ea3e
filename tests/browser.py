"""Headless Debian chromium for tests: open a page, collect its console errors, take a screenshot.

Drives chromium over the DevTools protocol (one websocket, flat sessions), so errors logged by the
page's scripts, uncaught exceptions and failed loads are all seen, not only what ``--screenshot`` shows.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from websockets.sync.client import ClientConnection, connect

# ENVIRONMENT.md: the flags that make Debian's chromium run headless in a container and stay offline.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
MAX_PAGE_HEIGHT = 12_000
# The box around every element a selector matches, with a margin, in CSS pixels of the page.
CLIP_BOX = """(() => {
  const rects = [...document.querySelectorAll(%s)].map(e => e.getBoundingClientRect());
  const x = Math.max(0, Math.min(...rects.map(r => r.left)) - 24);
  const y = Math.max(0, Math.min(...rects.map(r => r.top)) - 24);
  return {x: x + window.scrollX, y: y + window.scrollY,
          width: Math.max(...rects.map(r => r.right)) + 24 - x,
          height: Math.max(...rects.map(r => r.bottom)) + 24 - y};
})()"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageCapture:
    screenshot: bytes
    console_errors: list[str] = field(default_factory=list)


class _DevTools:
    """Request/response over the browser websocket; events are kept for the caller to inspect."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout=60.0) -> dict:
        msg_id = next(self.ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float) -> None:
        """Read events until ``method`` arrives (or was already seen)."""
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            self.events.append(event)
            if event.get("method") == method:
                return
        raise TimeoutError(f"no {method} within {timeout} s")

    def drain(self, seconds: float) -> None:
        """Keep collecting events for ``seconds`` (late console errors of a single-page app)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                return


def _errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['text']} {entry.get('url', '')}".strip())
    return errors


def _wait_for_port(user_data: Path, process: subprocess.Popen, timeout: float) -> str:
    """The browser websocket chromium announces in ``DevToolsActivePort`` (port 0 = any free port)."""
    port_file = user_data / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode}")
        if port_file.exists() and len(lines := port_file.read_text().splitlines()) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


def _screenshot(tools: _DevTools, url: str, width: int, height: int, options: dict[str, Any]) -> bytes:
    """Open ``url`` in a new tab of the connected browser and return its PNG screenshot."""
    target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        tools.call(f"{domain}.enable", session=session)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    tools.call("Emulation.setDeviceMetricsOverride", metrics, session)
    tools.call("Page.navigate", {"url": url}, session)
    tools.wait_event("Page.loadEventFired", options["timeout"])
    deadline = time.monotonic() + options["timeout"]
    while options["ready"] is not None:
        result = tools.call(
            "Runtime.evaluate", {"expression": options["ready"], "returnByValue": True}, session
        )
        if result.get("result", {}).get("value"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"page not ready within {options['timeout']} s: {options['ready']}")
        tools.drain(0.5)
    tools.drain(options["settle"])
    if options["full_page"]:
        size = tools.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        metrics["height"] = min(max(int(size["height"]), height), MAX_PAGE_HEIGHT)
        tools.call("Emulation.setDeviceMetricsOverride", metrics, session)
    params: dict[str, Any] = {"format": "png"}
    if options["clip"] is not None:
        expression = CLIP_BOX % json.dumps(options["clip"])
        box = tools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        params["clip"] = {**box["result"]["value"], "scale": options["scale"]}
    return base64.b64decode(tools.call("Page.captureScreenshot", params, session)["data"])


def capture(
    url: str,
    *,
    width: int = 1400,
    height: int = 900,
    full_page: bool = True,
    ready: str | None = None,
    clip: str | None = None,
    scale: float = 1.0,
    timeout: float = 60.0,
    settle: float = 1.0,
) -> PageCapture:
    """Load ``url`` in a fresh headless chromium and screenshot it.

    ``ready`` is a JavaScript expression polled until true (for pages that render after load);
    ``settle`` seconds of events are still collected before the screenshot. ``clip`` (a CSS
    selector) limits the screenshot to the box around the elements it matches, drawn at ``scale``.
    """
    binary = chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    options = {"ready": ready, "clip": clip, "scale": scale, "timeout": timeout, "settle": settle}
    with tempfile.TemporaryDirectory(prefix="chromium-") as user_data:
        command = [binary, *FLAGS, f"--user-data-dir={user_data}", f"--window-size={width},{height}"]
        process = subprocess.Popen(
            [*command, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            address = _wait_for_port(Path(user_data), process, timeout)
            with connect(address, max_size=None, open_timeout=30) as ws:
                tools = _DevTools(ws)
                png = _screenshot(tools, url, width, height, {**options, "full_page": full_page})
                errors = _errors(tools.events)
                tools.call("Browser.close")
        finally:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return PageCapture(png, errors)


def is_blank(png: bytes, dominant_share: float = 0.98) -> bool:
    """True when one colour covers almost the whole image (an empty or failed render)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail((400, 400))
    colours = image.getcolors(maxcolors=400 * 400) or []
    top = max(count for count, _ in colours)
    return top / (image.width * image.height) >= dominant_share or len(colours) < 8
