"""drukid verifier."""
