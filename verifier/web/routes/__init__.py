"""The teller pages' routes, one module per area; each route parses, calls one service
operation (the same ones the relying-party API uses) and renders."""
