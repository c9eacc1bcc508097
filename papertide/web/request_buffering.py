"""gunicorn's threaded worker, changed so that a thread gets a connection only once its whole request is there.

gthread gives a connection to a thread as soon as it has a byte to read, and the thread then blocks reading
the rest. A client that sends its request slowly, or not at all, holds that thread: an audit (issue #12) found 8
half-sent connections enough to stall a 4-thread server for 10-15 s. Here the worker's event loop reads the
request's head, and a body of known length, without blocking; the thread is handed the connection with those
bytes, so a slow client costs a socket and its buffered bytes, never a thread. It is the request buffering
nginx gives a server behind it, in the process itself.

This leans on gthread's internals (TConn, the poller, ``handle``); pyproject pins gunicorn's major version.
"""

from __future__ import annotations

import errno
import re
import selectors
import time
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from gunicorn.workers.gthread import TConn, ThreadWorker

# A fresh connection may wait this long for its first byte (browsers open connections ahead of need); a kept-alive
# one waits gunicorn's `keepalive` seconds, as before.
FIRST_BYTE_SECONDS = 10.0
# gunicorn refuses heads over 100 fields of 8,190 bytes; past that the parser answers 400, so hand it over.
HEAD_LIMIT = 1024 * 1024
# The largest body kept in memory before a thread takes it: a library import is at most 10 MB.
BODY_LIMIT = 16 * 1024 * 1024

_CONTENT_LENGTH = re.compile(rb"\r?\ncontent-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r?\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.IGNORECASE)
_EXPECT_CONTINUE = re.compile(rb"\r?\nexpect[ \t]*:[ \t]*100-continue", re.IGNORECASE)
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass
class _Arriving:
    """A request being read by the event loop."""

    deadline: float
    data: bytearray = field(default_factory=bytearray)


def _head_end(data: bytes | bytearray) -> int:
    """Where the request's head ends (after its blank line), or -1 while it has not all arrived."""
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    bare = data.find(b"\n\n")
    return bare + 2 if bare >= 0 else -1


def request_is_complete(data: bytes | bytearray) -> bool:
    """Whether a thread can read this request without waiting on the client: its head, and its body when the
    head gives a length. A head over the limit, a large body and one sent after "100 Continue" are handed
    over as they are (the parser refuses a bad head; the thread reads the rest); a chunked body once its last
    chunk and trailers are in."""
    head_end = _head_end(data)
    if head_end < 0:
        return len(data) > HEAD_LIMIT
    head = bytes(data[:head_end])
    body = len(data) - head_end
    if _EXPECT_CONTINUE.search(head):
        return True
    if _CHUNKED.search(head):
        return body > BODY_LIMIT or _chunks_complete(data, head_end)
    length = _CONTENT_LENGTH.search(head)
    wanted = int(length.group(1)) if length else 0
    return wanted > BODY_LIMIT or body >= wanted


def _chunks_complete(data: bytes | bytearray, at: int) -> bool:
    """Whether a chunked body starting at `at` has all arrived: its chunks, the last (empty) one, and the trailer
    lines up to their blank line. A malformed size counts as complete, for the parser to refuse."""
    while True:
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return False
        try:
            size = int(bytes(data[at:line_end]).split(b";")[0].strip(), 16)
        except ValueError:
            return True
        at = line_end + 2
        if size == 0:
            break
        at += size + 2
        if at > len(data):
            return False
    while True:  # trailer lines, then a blank one
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return False
        if line_end == at:
            return True
        at = line_end + 2


class BufferingThreadWorker(ThreadWorker):
    """gthread, with requests read by the event loop and handed to a thread once complete."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.arriving: dict[TConn, _Arriving] = {}
        # A head must be complete this long after its first byte, and a body may pause this long between two
        # reads (PAPERTIDE_REQUEST_SECONDS; nginx's client_header_timeout and client_body_timeout are 60 s).
        self.request_seconds = float(settings.SERVE_REQUEST_SECONDS)

    def accept(self, listener) -> None:
        if self.cfg.is_ssl:  # TLS must be unwrapped by a thread first; a proxy in front terminates it anyway
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_request(TConn(self.cfg, client, address, listener.getsockname()), FIRST_BYTE_SECONDS)

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection has a byte of its next request: read that request here too."""
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_request(conn, self.request_seconds)
        self._on_readable(conn, client)

    def _read_request(self, conn: TConn, seconds: float) -> None:
        conn.sock.setblocking(False)
        self.arriving[conn] = _Arriving(deadline=time.monotonic() + seconds)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: TConn, client) -> None:
        arriving = self.arriving.get(conn)
        if arriving is None:
            return
        try:
            chunk = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away
            self._drop(conn)
            return
        if not arriving.data:  # the head's time starts with its first byte
            arriving.deadline = time.monotonic() + self.request_seconds
        arriving.data += chunk
        if request_is_complete(arriving.data):
            del self.arriving[conn]
            self.poller.unregister(conn.sock)
            conn.data_ready = True  # gthread then skips its own wait for data
            conn.papertide_request = bytes(arriving.data)
            self.enqueue_req(conn)
        elif _head_end(arriving.data) >= 0:  # a body still coming may pause, but not for long
            arriving.deadline = time.monotonic() + self.request_seconds

    def handle(self, conn):
        request = getattr(conn, "papertide_request", None)
        if request:
            conn.papertide_request = None
            conn.sock.setblocking(True)
            conn.init()  # makes the parser of a new connection; a kept-alive one keeps its own
            unreader = conn.parser.unreader
            unreader.unread(request)  # ahead of anything the parser kept (nothing: it had read up to here)
        return super().handle(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn, arriving in list(self.arriving.items()):
            if arriving.deadline <= now or (not self.alive and not arriving.data):
                if arriving.data:
                    try:
                        conn.sock.send(_TIMED_OUT)
                    except OSError:
                        pass
                self._drop(conn)

    def _drop(self, conn: TConn) -> None:
        self.arriving.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        conn.close()
