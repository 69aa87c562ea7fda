"""The schema's Alembic migrations (installed as ``provenance_db``)."""

HEAD = "0015"
"""The newest revision in ``versions/``: bump it with every new migration (a test checks)."""
