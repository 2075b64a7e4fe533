"""Live tests of `driftlint verify` against a PostgreSQL the suite starts itself."""
