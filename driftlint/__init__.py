"""driftlint: a static linter for Alembic revision histories and Celery task modules."""

__version__ = "0.1.0"
