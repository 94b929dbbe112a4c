"""Issuer storage: SQLModel tables (only in :mod:`issuer.storage.models`) and repositories."""
