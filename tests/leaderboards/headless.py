"""A real headless Chromium driven over the DevTools protocol, for the site's browser tests.

Why the pipe (``--remote-debugging-pipe``) and not a port: no port to find or to collide with
the other test runs on the machine, no websocket client to install. Chromium reads JSON
commands, each ending in a NUL byte, from file descriptor 3 and writes replies and events to
descriptor 4 (``bash`` moves the pipe ends there before it execs the browser). The browser
gets a fresh ``--user-data-dir`` in a temporary folder, every wait has a deadline, and
:meth:`Browser.close` kills its whole session (process group), so a hung browser never
outlives its test.

A plain module (not a conftest) so its name cannot clash with another folder's conftest.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserError(RuntimeError):
    """The browser did not answer in time, or answered with an error."""


BASH = shutil.which("bash") or "/bin/bash"


def _high(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or more (never 3 or 4), the original closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium with one page; records console errors and exceptions."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 20.0) -> None:
        if CHROMIUM is None:
            raise BrowserError("chromium is not installed (make setup installs Debian's)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="mathgym-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        cmd_r, reply_w = _high(cmd_r), _high(reply_w)
        # bash puts the pipe ends on descriptors 3 and 4, closes the originals and execs
        # chromium (no preexec_fn: that is unsafe in a process with threads); its own session,
        # so close() can kill the browser and every renderer at once
        move = f'exec 3<&{cmd_r} 4>&{reply_w} {cmd_r}<&- {reply_w}>&-; exec "$0" "$@"'
        self.proc = subprocess.Popen(
            [BASH, "-c", move, CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--mute-audio",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(cmd_r, reply_w), start_new_session=True)
        os.close(cmd_r)
        os.close(reply_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable", session=True)
            self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                      height=height, deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._reply_r], [], [], left)
            if ready:
                chunk = os.read(self._reply_r, 1 << 16)
                if not chunk:
                    raise BrowserError("chromium closed the DevTools pipe (it exited)")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events read meanwhile are kept)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, since: int = 0) -> dict[str, Any]:
        """The first event ``method`` at or after index ``since`` of :attr:`events`."""
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            since = len(self.events)
            self.events.append(self._read_message(deadline))

    # ------------------------------------------------------------------ pages
    def open(self, url: str) -> None:
        """Navigate and wait for the load event (scripts have run by then)."""
        if "#" in url and url != "about:blank":
            # from the same page, a new #fragment is a same-document navigation, which fires
            # no load event (and a reload may race it): start from a blank page instead
            self.open("about:blank")
        mark = len(self.events)
        result = self.call("Page.navigate", session=True, url=url)
        if "errorText" in result:
            raise BrowserError(f"could not open {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", mark)

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (an exception raises)."""
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                 "assert"):
                out.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append(json.dumps(params["entry"])[:500])
        return out

    def screenshot(self, path: str, full_height: int | None = None) -> bytes:
        """A PNG of the viewport (or of the top ``full_height`` px of the page)."""
        params: dict[str, Any] = {"format": "png"}
        if full_height:
            params["clip"] = {"x": 0, "y": 0, "width": 1280, "height": full_height, "scale": 1}
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.call("Page.captureScreenshot", session=True,
                                          **params)["data"])
        with open(path, "wb") as fh:
            fh.write(data)
        return data

    def close(self) -> None:
        """Kill the browser's process group, reap it, remove its profile."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        finally:
            for fd in (self._cmd_w, self._reply_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """``python tests/leaderboards/headless.py URL OUT.png [HEIGHT]``: a screenshot of the top
    HEIGHT px (default 900) of a page at 1280 px wide (how the docs/site-*.png were taken)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(main.__doc__, file=sys.stderr)
        return 2
    with Browser() as browser:
        browser.open(args[0])
        browser.screenshot(args[1], int(args[2]) if len(args) == 3 else None)
        for error in browser.errors():
            print(f"console error: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
