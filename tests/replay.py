"""A real HTTP server on 127.0.0.1 that answers with recorded responses, in the order a test scripts.

Network code under test talks to it over real sockets with its real HTTP client: nothing is mocked.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/xml; charset=utf-8"})
    delay: float = 0.0  # seconds before answering, as a busy upstream takes
    trickle: float = 0.0  # seconds between the body's bytes, as a stalling upstream sends them
    cut: bool = False  # send half the body, then close: a connection dropped mid-answer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ReplayServer:
    """Routes map a path to a list of answers, given out in turn; the last one repeats."""

    def __init__(self, routes: dict[str, list[Answer]]) -> None:
        self.routes = {path: list(answers) for path, answers in routes.items()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.received: list[Received] = []  # every request whole: method, path, headers, body
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802 (the name http.server expects)
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.requests.append((url.path, query))
                    server.received.append(Received(self.command, url.path, dict(self.headers.items()), body))
                    answers = server.routes.get(url.path)
                    answer = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else None
                if answer is None:
                    answer = Answer(b"not found", 404, {"Content-Type": "text/plain"})
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                body = answer.body[: len(answer.body) // 2] if answer.cut else answer.body
                if not answer.trickle:
                    self.wfile.write(body)
                for position in range(len(body) if answer.trickle else 0):
                    try:
                        self.wfile.write(body[position:position + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    time.sleep(answer.trickle)
                if answer.cut:
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
