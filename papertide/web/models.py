"""State the web processes share through the database when they run on several machines (PostgreSQL): the cache
that holds sessions and readers' settings, and the rate-limit counters. On SQLite, one machine, both stay in the
data directory (settings.CACHES, throttle.py) and these tables stay empty."""

from django.db import models


class SharedCacheEntry(models.Model):
    """A row of Django's database cache (`DatabaseCache`), the schema `createcachetable` would make: a migration
    creates it, so `papertide migrate` alone readies a new database."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "papertide_cache"


class ThrottleCount(models.Model):
    """The current window of one rate limit for one client (papertide/throttle.py): counted with one atomic upsert,
    whichever machine the request reached."""

    key = models.CharField(max_length=255, primary_key=True)
    used = models.PositiveIntegerField()
    expires = models.DateTimeField(db_index=True)
