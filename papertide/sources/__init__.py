"""Sources of papers: one module per source, each a pure parser from bytes to `PaperRecord`s plus,
where the source is remote, a thin fetching layer around it."""
