"""Serving the site with gunicorn (threaded workers that read each request before a thread takes it),
configured from Python rather than a file."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

# A web process serves several requests at once: numpy's BLAS starting threads of its own for each query
# embedding oversubscribed the cores (query embedding p50 39 ms instead of 14 ms with 8 clients searching on
# 2 cores, p99 606 vs 74 ms through the API, issue #12). One BLAS thread per process, set before numpy loads in
# a worker, and again after the fork in case the master had loaded it.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread(server, worker) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


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
        }
    ).run()
