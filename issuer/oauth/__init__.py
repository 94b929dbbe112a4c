"""The issuer as an OAuth 2.0 authorization server for HAIP 1.0 issuance: pushed authorization
requests (RFC 9126) with PKCE S256 (RFC 7636), ``scope`` / ``authorization_details`` of type
``openid_credential`` (OpenID4VCI 1.0 §5.1, RFC 9396), the registered wallets and their redirect
URIs (exact match; loopback any port, RFC 8252 §7.3) and the authorization response with ``iss``
(RFC 9207). Pure rules: values in, values out; the flows in :mod:`issuer.flows` store them."""
