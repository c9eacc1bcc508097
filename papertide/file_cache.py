"""Django's file cache, culled less eagerly.

`FileBasedCache.set` lists the whole cache directory at every write to see whether it is over MAX_ENTRIES:
2.4 ms of a 2.6 ms write with the 2,000-odd pages a busy site keeps (measured on the bench site), paid by every
page rendered for the page cache and every reader's "For you" cards. Here each process looks once every
CULL_EVERY writes, so the cache may hold up to CULL_EVERY entries per process past MAX_ENTRIES before a third
of it is dropped."""

from __future__ import annotations

import threading

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 64


class FileCache(FileBasedCache):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._writes = 0
        self._writes_lock = threading.Lock()

    def _cull(self) -> None:
        with self._writes_lock:
            self._writes += 1
            due = self._writes % CULL_EVERY == 1  # the first write of a process looks too
        if due:
            super()._cull()
