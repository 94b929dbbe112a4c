"""The service kit: plumbing shared by the issuer, the verifier and the web wallet, below the
roles and above the spec packages. Settings rules, database engines, HTTP error rendering and
size limits, hashed API keys, browser sessions, what every page shares (:mod:`servicekit.pages`:
layout, the page-problem type, error pages), the staff-pages kit of the operator and teller
pages (:mod:`servicekit.staff`) and QR codes.

Roles import it; it imports no role (tests/unit/test_architecture.py). ``drukid`` (the
command, the demo, ``serve``) sits above the roles and is the only place they meet.
"""
