"""The service kit: plumbing shared by the issuer, the verifier and the web wallet, below the
roles and above the spec packages. Settings rules, database engines, HTTP error rendering and
size limits, hashed API keys, sign-in throttles and form tokens, browser sessions, the page
layout and QR codes.

Roles import it; it imports no role (tests/unit/test_architecture.py). ``drukid`` (the
command, the demo, ``serve``) sits above the roles and is the only place they meet.
"""
