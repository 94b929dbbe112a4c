"""OpenID4VP 1.0 as the verifier speaks it, as pure messages and rules: request objects
(:mod:`~verifier.oid4vp.request`), authorization responses (:mod:`~verifier.oid4vp.response`)
and same-device response codes (:mod:`~verifier.oid4vp.response_code`). The service
(:mod:`verifier.service`) stores and consumes what these create and check."""
