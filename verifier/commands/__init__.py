"""The commands of ``drukid verifier``, one module per area: requests and results over the
service API (:mod:`~verifier.commands.requests`), offline verification
(:mod:`~verifier.commands.verify`), the trust registry (:mod:`~verifier.commands.trust`), trust
bundles (:mod:`~verifier.commands.bundles`) and API keys (:mod:`~verifier.commands.apikeys`),
with what they share in :mod:`~verifier.commands.common`. :mod:`verifier.cli` assembles them."""
