"""`papertide db copy --to postgres://…`: the move from one machine's SQLite to PostgreSQL.

Every table of the site is copied, in an order where a row's references are always copied before it, with
PostgreSQL's COPY in batches (20,000 rows by default), each batch in a transaction of its own. Progress is the copy itself:
a table is resumed after the highest id already in the target, and a `papertide_copy` table in the target says
which tables are finished. A copy killed at any moment and run again neither loses nor duplicates a row. At the
end every table's row count and a checksum of its contents are compared on both sides; only then is the copy
marked finished.

Not copied: what each database derives or keeps for itself (the migrations table, the shared cache, rate-limit
counters). The search index files are derived from the papers: `papertide index` writes them where the site runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, models, transaction

BATCH = 20_000
TARGET = "copy-target"
PROGRESS = "papertide_copy"
NOT_COPIED = {"papertide_cache", "web_throttlecount"}


class CopyError(Exception):
    """A copy that cannot start or does not match: the message says what to do."""


@dataclass
class Copied:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied by this run
    verified: dict[str, int] = field(default_factory=dict)  # table -> rows, same on both sides

    def __str__(self) -> str:
        return (f"{sum(self.rows.values()):,} rows copied by this run; {len(self.verified)} tables, "
                f"{sum(self.verified.values()):,} rows verified (counts and checksums)")


def ordered_models() -> list[type[models.Model]]:
    """The site's tables, each after the tables it refers to."""
    todo = [model for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy and model._meta.db_table not in NOT_COPIED]
    done: list[type[models.Model]] = []
    while todo:
        ready = [model for model in todo if all(
            target is model or target in done for target in _referenced(model))]
        if not ready:
            raise CopyError("the tables refer to each other in a cycle: " + ", ".join(m._meta.db_table for m in todo))
        done += ready
        todo = [model for model in todo if model not in ready]
    return done


def _referenced(model) -> set:
    return {f.related_model for f in model._meta.concrete_fields if f.is_relation and f.related_model}


def connect_target(url: str) -> None:
    from papertide import conf

    given = {"default": connections.settings["default"], TARGET: conf.postgres_database(url, "--to")}
    connections.settings[TARGET] = connections.configure_settings(given)[TARGET]  # with Django's defaults filled in
    connection = connections[TARGET]
    connection.ensure_connection()


def unfinished_copy(connection) -> bool:
    """Whether this PostgreSQL database is the target of a copy that has not finished (the site must not start)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PROGRESS])
        return cursor.fetchone()[0]


def copy(url: str, *, batch: int = BATCH, progress: Callable[[str, int, int], None] | None = None) -> Copied:
    """Copy this site's SQLite database into the empty PostgreSQL database at `url`, or finish a copy begun."""
    from django.core.management import call_command

    connect_target(url)
    target = connections[TARGET]
    if target.vendor != "postgresql":
        raise CopyError("--to must be a PostgreSQL database (postgres://…)")
    tables = ordered_models()
    if not unfinished_copy(target):
        # Only at the start: migrate also fills in missing content types and permissions, which would then take
        # the ids of rows not yet copied.
        call_command("migrate", database=TARGET, interactive=False, verbosity=0)
        _start(tables)
    report = Copied()
    with target.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {PROGRESS} WHERE finished")
        finished = {name for (name,) in cursor.fetchall()}
    for model in tables:
        table = model._meta.db_table
        if table not in finished:
            report.rows[table] = _copy_table(model, batch, progress)
            with transaction.atomic(using=TARGET), target.cursor() as cursor:
                cursor.execute(f"UPDATE {PROGRESS} SET finished = true WHERE name = %s", [table])
    _reset_sequences(tables)
    for model in tables:
        report.verified[model._meta.db_table] = _verify(model)
    with target.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PROGRESS}")
    return report


def _start(tables) -> None:
    """A fresh copy: the target must hold no site. `migrate` filled two tables of its own (content types and
    permissions, numbered in its own order): they are replaced by the source's, which other rows refer to."""
    from django.contrib.auth import get_user_model

    from papertide.papers.models import Paper

    for model in (Paper, get_user_model()):
        if model.objects.using(TARGET).exists():
            raise CopyError(f"the target database already holds a site ({model.objects.using(TARGET).count():,} "
                            f"rows in {model._meta.db_table}); db copy fills only an empty database")
    target = connections[TARGET]
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        names = ", ".join(target.ops.quote_name(model._meta.db_table) for model in tables)
        cursor.execute(f"TRUNCATE {names} CASCADE")
        cursor.execute(f"CREATE TABLE {PROGRESS} (name text PRIMARY KEY, finished boolean NOT NULL)")
        cursor.executemany(f"INSERT INTO {PROGRESS} (name, finished) VALUES (%s, false)",
                           [[model._meta.db_table] for model in tables])


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _copy_table(model, batch: int, progress) -> int:
    source, target = connections["default"], connections[TARGET]
    table, pk = model._meta.db_table, model._meta.pk.column
    quote = target.ops.quote_name
    columns = ", ".join(quote(column) for column in _columns(model))
    integer_key = isinstance(model._meta.pk, (models.AutoField, models.BigAutoField, models.OneToOneField))
    with source.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        total = cursor.fetchone()[0]
    if not integer_key:  # sessions: few, keyed by text; copied whole, again if interrupted
        with transaction.atomic(using=TARGET), target.cursor() as cursor:
            cursor.execute(f"DELETE FROM {quote(table)}")
        return _copy_rows(model, f"SELECT {columns} FROM {quote(table)}", [], total, progress, 0)
    with target.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), -1), COUNT(*) FROM {quote(table)}")
        after, already = cursor.fetchone()
    copied = 0
    while True:
        sql = f"SELECT {columns} FROM {quote(table)} WHERE {quote(pk)} > %s ORDER BY {quote(pk)} LIMIT {int(batch)}"
        rows = _copy_rows(model, sql, [after], total, progress, already + copied)
        if not rows:
            return copied
        copied += rows
        with target.cursor() as cursor:
            cursor.execute(f"SELECT MAX({quote(pk)}) FROM {quote(table)}")
            after = cursor.fetchone()[0]


def _copy_rows(model, sql: str, params: list, total: int, progress, done_before: int) -> int:
    """Read one batch from SQLite and COPY it into the target in one transaction; how many rows."""
    source, target = connections["default"], connections[TARGET]
    with source.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return 0
    quote = target.ops.quote_name
    columns = ", ".join(quote(column) for column in _columns(model))
    booleans = [i for i, f in enumerate(model._meta.concrete_fields) if isinstance(f, models.BooleanField)]
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        with target.wrap_database_errors, \
                cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as pipe:
            for row in rows:
                if booleans:  # SQLite keeps them as 0 and 1
                    row = list(row)
                    for i in booleans:
                        row[i] = None if row[i] is None else bool(row[i])
                pipe.write_row(row)
    if progress:
        progress(model._meta.db_table, done_before + len(rows), total)
    return len(rows)


def _reset_sequences(tables) -> None:
    """The target's id sequences continue after the copied rows (COPY does not move them)."""
    from django.core.management.color import no_style

    target = connections[TARGET]
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        for statement in target.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(statement)


def _verify(model) -> int:
    """Both sides' row count and a checksum of every row (as Django reads it, so that 1 and true, or two
    spellings of the same JSON, compare equal); a difference stops the copy before it is marked finished."""
    counts, sums = [], []
    names = [f.attname for f in model._meta.concrete_fields]
    for alias in ("default", TARGET):
        digest, count = hashlib.sha256(), 0
        for row in model._base_manager.using(alias).order_by("pk").values_list(*names).iterator(chunk_size=5000):
            digest.update(json.dumps(row, sort_keys=True, default=_plain).encode())
            count += 1
        counts.append(count)
        sums.append(digest.hexdigest())
    table = model._meta.db_table
    if counts[0] != counts[1]:
        raise CopyError(f"{table}: {counts[0]:,} rows here, {counts[1]:,} in the target (was the site running "
                        "during the copy? stop it, then run db copy again)")
    if sums[0] != sums[1]:
        raise CopyError(f"{table}: the same {counts[0]:,} rows, but their contents differ (checksums). The copy is "
                        "not marked finished; please report this with the table's name")
    return counts[0]


def _plain(value) -> str:
    if isinstance(value, (bytes, memoryview)):  # SQLite gives bytes, PostgreSQL a memoryview
        return bytes(value).hex()
    return str(value)
