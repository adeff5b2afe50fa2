"""Alembic migrations of the vault's tables (version table ``alembic_version_vault``).

Run only through :func:`vault.migrate`; new revisions go in ``versions/`` and
are written by hand (each states in its docstring why the change exists).
"""
