"""drukid wallet."""
