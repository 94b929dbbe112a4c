"""The issuer's schema migrations (Alembic): ``env.py`` and one file per revision in
``versions/``. Run them with ``drukid issuer db upgrade``; write the next one with
``drukid issuer db revision -m "what changes"`` (docs/dev/where-things-go.md, "A schema
change")."""
