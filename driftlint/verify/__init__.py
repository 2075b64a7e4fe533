"""`driftlint verify`: live gates against a real PostgreSQL (imports nothing heavy at package level)."""
