"""The web wallet's pages, one router per area."""
