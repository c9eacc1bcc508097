"""Slow and idle clients held against a server while a benchmark runs: the slowloris half of issue #12's audit.

Half of them send a request head one header line a second and never finish it; the other half connect and
send nothing. Whatever the server closes is opened again, so the pressure stays the same for the whole run.
"""

from __future__ import annotations

import socket
import threading


class SlowClients:
    """`count` connections to 127.0.0.1:`port` (half dripping a head, half idle) for the `with` block."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.reopened = 0

    def __enter__(self) -> SlowClients:
        self.dripping = [self._open(drip=True) for _ in range(self.count // 2)]
        self.idle = [self._open(drip=False) for _ in range(self.count - self.count // 2)]
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()
        return self

    def _open(self, drip: bool) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if drip:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.setblocking(False)
        return sock

    def _alive(self, sock: socket.socket) -> bool:
        try:
            return sock.recv(4096, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True  # nothing to read: still open
        except OSError:
            return False

    def _hold(self) -> None:
        line = 0
        while not self.stop.wait(1.0):
            line += 1
            for group, drip in ((self.dripping, True), (self.idle, False)):
                for i, sock in enumerate(group):
                    try:
                        if not self._alive(sock):
                            raise ConnectionError
                        if drip:
                            sock.send(f"X-Slow-{line}: a\r\n".encode())
                    except OSError:
                        sock.close()
                        group[i] = self._open(drip)
                        self.reopened += 1

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.dripping + self.idle:
            sock.close()
