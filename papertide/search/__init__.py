"""Search: the embedding stage, the full-text and vector indexes derived from the database, hybrid
ranking and similar papers. Everything else talks to search through `papertide.search.service`."""
