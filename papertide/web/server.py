"""Serving the site with gunicorn (threaded workers), configured from Python rather than a file."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


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
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    print(f"papertide is serving on http://{bind}/  (Ctrl+C to stop)", flush=True)
    _PapertideServer(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "errorlog": "-",
            "proc_name": "papertide",
            "graceful_timeout": 10,
            # gunicorn's maximum: a pasted abstract in a search URL needs more than the default 4094.
            "limit_request_line": 8190,
        }
    ).run()
