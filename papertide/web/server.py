"""Serving the site with gunicorn (threaded workers that read each request before a thread takes it),
configured from Python rather than a file."""

from __future__ import annotations

import gc
import os
import time

from gunicorn.app.base import BaseApplication

# A web process serves several requests at once: numpy's BLAS starting threads of its own for each query
# embedding oversubscribed the cores (query embedding p50 39 ms instead of 14 ms with 8 clients searching on
# 2 cores, p99 606 vs 74 ms through the API, issue #12). One BLAS thread per process, set before numpy loads in
# a worker, and again after the fork in case the master had loaded it. torch (the int8 query encoder) loads later,
# at a worker's first search, and takes its thread count from OMP_NUM_THREADS then: one, whatever the operator's
# shell exported for indexing (with 4, a busy 2-core machine took seconds for some queries).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread(server, worker) -> None:
    from threadpoolctl import threadpool_limits

    os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))
    threadpool_limits(1)


# A full garbage collection walks every object the process tracks: ~150,000 once the site is loaded (Django,
# numpy, scipy, templates, URL patterns), 50 ms in one process alone and 90-150 ms under load on a 2-core EPYC,
# during which no thread of the process runs. A page takes 1-2 ms, so those pauses made the p99 of every kind of
# page under load. What lives as long as the
# process is moved out of the collector's reach (gc.freeze): once the app is loaded, and again once the first
# requests have loaded what is loaded lazily (templates, the vectors, the search model).
WARM_REQUESTS = 200


def _freeze_loaded(worker) -> None:
    if pause_log := os.environ.get("PAPERTIDE_GC_PAUSE_LOG"):
        gc.callbacks.append(_PauseLog(pause_log))
    _freeze(worker, "loaded")


def _freeze_warmed(worker, req, environ, resp) -> None:
    if worker.nr >= WARM_REQUESTS and not getattr(worker, "papertide_warmed", False):
        worker.papertide_warmed = True
        _freeze(worker, f"warmed by {worker.nr} requests")


class _PauseLog:
    """A garbage-collection callback appending each full collection ("pid unix-time milliseconds") to a file, for
    `papertide bench pages` (PAPERTIDE_GC_PAUSE_LOG)."""

    def __init__(self, path: str) -> None:
        self.path, self.started = path, 0.0
        open(path, "a").close()  # the bench tells "no full collection" from "a server that does not record them"

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
            return
        with open(self.path, "a") as log:
            log.write(f"{os.getpid()} {time.time():.3f} {(time.perf_counter() - self.started) * 1000:.1f}\n")


def _freeze(worker, when: str) -> None:
    gc.freeze()
    worker.log.info("worker %s %s: %s objects kept out of garbage collection", worker.pid, when,
                    f"{gc.get_freeze_count():,}")


class _PapertideServer(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from papertide.wsgi import application

        return application


def run_server(*, host: str, port: int, workers: int, threads: int) -> None:
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    print(f"papertide is serving on http://{bind}/  (Ctrl+C to stop)", flush=True)
    _PapertideServer(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "papertide.web.request_buffering.BufferingThreadWorker",
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s',
            "errorlog": "-",
            "proc_name": "papertide",
            "graceful_timeout": 10,
            # gunicorn's maximum: a pasted abstract in a search URL needs more than the default 4094.
            "limit_request_line": 8190,
            "post_fork": _one_blas_thread,
            "post_worker_init": _freeze_loaded,
            "post_request": _freeze_warmed,
        }
    ).run()
