"""OpenID for Verifiable Credential Issuance 1.0, the wallet's side: the pre-authorized code
flow (§3.5).

The messages and their rules are pure (values in, values out; every refusal a
:class:`wallet.errors.ReceiveError` with a stable code), one module per step as in
:mod:`issuer.oid4vci`: :mod:`.offer` (§4), :mod:`.metadata` (§12, RFC 8414), :mod:`.token` (§6),
:mod:`.proof` (§7, Appendix F.1), :mod:`.credential` (§8: the request, the response, and the
checks every received credential passes). :mod:`.client` is the one module that talks HTTP.
"""
