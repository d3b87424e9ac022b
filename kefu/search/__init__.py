"""Full-text search we own, for any read model: Chinese and Latin text, exact and fuzzy.

`text` turns text into comparable grams (one token each), `index` has the backend's own
full-text machinery index them in a view's own tables (SQLite FTS5, a PostgreSQL tsvector: no
extension, no external server) and `ranking` orders the hits and cuts their snippets. A read
model that wants search owns a `SearchIndex` and feeds it from its projection (the articles,
the thread view for cases, the customer files).
"""
