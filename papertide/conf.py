"""Where papertide's settings come from: environment variables, then an optional config file.

Every setting is named `PAPERTIDE_<NAME>`. The environment wins; otherwise the value comes from
`<data dir>/papertide.toml` (keys are the names without the prefix, lower-case, e.g. `port = 8080`);
otherwise the default. A value that cannot be read raises `ConfigError` naming the setting.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigError(Exception):
    """A setting has a value papertide cannot use; the message says which and what to do."""


PREFIX = "PAPERTIDE_"
CONFIG_FILE_NAME = "papertide.toml"
SECRET_KEY_FILE_NAME = "secret_key"


def data_dir() -> Path:
    """The directory that holds the database, the secret key and derived indexes."""
    return Path(os.environ.get(PREFIX + "DATA_DIR") or "papertide-data").expanduser().resolve()


@cache
def _file_values(directory: Path) -> dict[str, object]:
    path = directory / CONFIG_FILE_NAME
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            values = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return {str(key).upper(): value for key, value in values.items()}


def _raw(name: str) -> object | None:
    if (PREFIX + name) in os.environ:
        return os.environ[PREFIX + name]
    return _file_values(data_dir()).get(name)


def is_set(name: str) -> bool:
    """Whether the operator gave this setting (in the environment or the config file)."""
    return _raw(name) is not None


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else str(value)


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, got {value!r}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ConfigError(f"{PREFIX}{name} must be between {minimum} and {maximum}, got {number}")
    return number


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a number, got {value!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"{PREFIX}{name} must be between {minimum} and {maximum}, got {number}")
    return number


def env_filter(name: str, default: str) -> str:
    """A category filter (`cs.CV,cs.LG,-hep-*`) in its normal spelling, checked against arXiv's taxonomy."""
    from papertide.papers.feed_filter import FeedFilter, FilterError

    try:
        return FeedFilter.parse(env_str(name, default)).terms
    except FilterError as exc:
        raise ConfigError(f"{PREFIX}{name}: {exc}") from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, got {value!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    """A list setting: whitespace- or comma-separated in the environment, an array in the file."""
    value = _raw(name)
    if value is None:
        return list(default)
    if isinstance(value, list):
        return [str(item) for item in value]
    return [item for item in str(value).replace(",", " ").split() if item]


def secret_key(directory: Path) -> str:
    """`PAPERTIDE_SECRET_KEY`, or a key generated on first run and kept in the data directory."""
    configured = _raw("SECRET_KEY")
    if configured:
        return str(configured)
    path = directory / SECRET_KEY_FILE_NAME
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    # O_EXCL: when two processes start at once, exactly one writes the key and both read it back.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def database(directory: Path) -> dict[str, object]:
    """Django's `default` database: SQLite in the data directory, or PostgreSQL when `PAPERTIDE_DATABASE_URL`
    is `postgres://user:password@host:5432/name` (`?sslmode=require` and the like become connection options;
    `?host=/path` or an empty host names a Unix socket directory, as libpq reads it)."""
    url = env_str("DATABASE_URL", "").strip()
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": directory / "papertide.sqlite3",
            # Each web thread keeps its connection: opening one (Django registers its SQL functions on each) cost
            # more than a cached page view; requests/s rose 30-50 % for every kind of reader (docs/benchmarks.md).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            # One writer at a time (IMMEDIATE takes the write lock up front, so a busy database waits
            # instead of failing mid-transaction); WAL lets readers proceed while a batch job writes.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    return postgres_database(url)


def postgres_database(url: str, setting: str = f"{PREFIX}DATABASE_URL") -> dict[str, object]:
    """Django's settings of a PostgreSQL database given as a postgres:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"{setting} must start with postgres:// (got {parts.scheme or url!r}); "
                          "leave it empty for SQLite in the data directory")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{setting} has a port that is not a number") from None
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigError(f"{setting} names no database: postgres://user:password@host:5432/DATABASE")
    options = dict(parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": options.pop("host", None) or unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        # A connection kept per web thread for ten minutes, checked before reuse: PostgreSQL connections cost
        # a process each on the server, so size max_connections for (web processes × threads + workers).
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def ensure_data_dir() -> Path:
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data directory {directory} ({exc.strerror}); "
            f"set {PREFIX}DATA_DIR to a writable path"
        ) from None
    return directory
