"""A small real HTTP server speaking the Roku ECP endpoints the TV plugin uses.

It records every key press and launch, keeps the mute toggle state, and also serves a
generic webhook endpoint (``/hook/...``) with a Home-Assistant-like state document
(``GET /state``) so the webhook plugin can be tested against the same process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEVICE_INFO = """<?xml version="1.0" encoding="UTF-8" ?>
<device-info>
  <udn>29380013-d806-100d-8034-d8313fbd1c9b</udn>
  <serial-number>X004000AAAAA</serial-number>
  <device-id>S0A00A000000</device-id>
  <vendor-name>TCL</vendor-name>
  <model-name>TCL 55R617</model-name>
  <is-tv>true</is-tv>
  <power-mode>PowerOn</power-mode>
  <supports-suspend>true</supports-suspend>
</device-info>
"""


@dataclass
class TvState:
    muted: bool = False
    input: str = "InputTuner"
    channel: str = ""
    power: str = "PowerOn"
    presses: list[str] = field(default_factory=list)  # "keypress/VolumeMute", "launch/..."
    hooks: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, body)
    fail_with: int | None = None  # answer every command with this HTTP status
    delay_s: float = 0.0  # sleep before answering (to test timeouts)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keypresses(self) -> list[str]:
        with self.lock:
            return list(self.presses)


def _handler(state: TvState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def _reply(self, status: int, body: bytes = b"", ctype: str = "text/xml") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _wait(self) -> None:
            if state.delay_s:
                threading.Event().wait(state.delay_s)

        def do_GET(self) -> None:
            self._wait()
            if self.path == "/query/device-info":
                self._reply(200, DEVICE_INFO.encode())
            elif self.path == "/query/media-player":
                self._reply(200, b'<?xml version="1.0"?><player error="false" state="play"/>')
            elif self.path == "/state":
                doc = {"state": "on", "attributes": {"is_volume_muted": state.muted}}
                self._reply(200, json.dumps(doc).encode(), "application/json")
            else:
                self._reply(404)

        def do_POST(self) -> None:
            self._wait()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if state.fail_with is not None:
                self._reply(state.fail_with)
                return
            path = self.path.lstrip("/")
            if path.startswith("hook"):
                self._hook(path, body)
            elif path.startswith("keypress/"):
                self._keypress(path.removeprefix("keypress/"))
            elif path.startswith("launch/"):
                with state.lock:
                    state.presses.append(path)
                    if "ch=" in path:
                        state.channel = path.split("ch=", 1)[1]
                self._reply(200)
            else:
                self._reply(404)

        def do_PUT(self) -> None:
            self.do_POST()

        def _keypress(self, key: str) -> None:
            with state.lock:
                state.presses.append(f"keypress/{key}")
                if key == "VolumeMute":
                    state.muted = not state.muted
                elif key.startswith("Input"):
                    state.input = key
                elif key in ("PowerOn", "PowerOff"):
                    state.power = key
            self._reply(200)

        def _hook(self, path: str, body: str) -> None:
            with state.lock:
                state.hooks.append((self.command, "/" + path, body))
                try:
                    doc = json.loads(body) if body else {}
                except ValueError:
                    doc = {}
                if isinstance(doc, dict) and isinstance(doc.get("is_volume_muted"), bool):
                    state.muted = doc["is_volume_muted"]
            self._reply(200, b"{}", "application/json")

    return Handler


@contextmanager
def run_fake_roku(state: TvState | None = None) -> Iterator[tuple[str, int, TvState]]:
    """Serve on 127.0.0.1:<free port>; yields (host, port, state)."""
    tv = state or TvState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(tv))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-roku", daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.server_address[1]), tv
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
