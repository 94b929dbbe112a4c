"""OpenID for Verifiable Presentations 1.0, the wallet's side.

The messages and their rules are pure (values in, values out; every refusal a
:class:`wallet.errors.PresentError` with a stable code), as in :mod:`verifier.oid4vp`:
:mod:`.request` (the link, the request object and who sent it, §5), :mod:`.matching` (the
wallet's credentials against the DCQL query, §6, and which copy to show), :mod:`.response`
(``vp_token``, the answer and the refusal, §8). :mod:`.client` is the one module that talks
HTTP.
"""
