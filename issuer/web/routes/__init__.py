"""The operator pages' routes, one module per area; each route parses, calls the same
:class:`~issuer.operator.Operator` operation the operator API uses, and renders."""
