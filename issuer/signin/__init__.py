"""How a citizen signs in at the agency during the authorization code flow (issue #12 §6): a
one-time sign-in code the agency gives them (:mod:`issuer.signin.codes`)."""
