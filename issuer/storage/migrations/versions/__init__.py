"""The issuer's schema revisions, oldest first: ``v0001_baseline.py``, then each change."""
