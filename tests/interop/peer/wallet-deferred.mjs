// Peer wallet, deferred issuance (OpenID4VCI 1.0 §8.3, §9) with @openid4vc/openid4vci, in two
// runs so that an operator can decide in between:
//
//   phase "request": pre-authorized code (+ tx_code), nonce, one jwt proof, credential request.
//     Result: transaction_id, interval, access_token, holder_key (private JWK), http.
//   phase "fetch": retrieveDeferredCredentials with that transaction_id and access_token.
//     Result: credentials [...] verified with @sd-jwt/sd-jwt-vc and bound to holder_key, or the
//     library's refusal (a still-pending issuer is a refusal too: the library has no polling).
//
// Arguments (JSON): phase, offer, tx_code, transaction_id, access_token, holder_key,
// credential_issuer, trusted_certificates, allow_insecure_urls, deadline_ms.

import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci'
import { PeerError, runCli } from './lib/cli.mjs'
import { timedFetch } from './lib/http.mjs'
import { KeyRing, callbackContext, generateKey } from './lib/keys.mjs'
import { verifyIssuedCredential } from './lib/sdjwt.mjs'

runCli('wallet-deferred', async (args) => {
  setGlobalConfig({ allowInsecureUrls: Boolean(args.allow_insecure_urls) })
  const http = []
  const fetch = timedFetch(5000, http)
  const keyring = new KeyRing()
  const client = new Openid4vciClient({ callbacks: callbackContext({ keyring, fetch }) })

  if (args.phase === 'request') {
    if (!args.offer) throw new PeerError('bad_arguments', 'offer is required')
    const offer = await client.resolveCredentialOffer(args.offer)
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata,
      txCode: args.tx_code ?? undefined,
    })
    const configurationId = offer.credential_configuration_ids[0]
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
    const key = await generateKey('ES256')
    await keyring.add(key.privateJwk)
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configurationId,
      signer: { method: 'jwk', publicJwk: key.publicJwk, alg: 'ES256' },
      nonce,
    })
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: configurationId,
      proofs: { jwt: [jwt] },
    })
    if (!credentialResponse.transaction_id) {
      throw new PeerError('not_deferred', 'the issuer answered with credentials, not a transaction')
    }
    return {
      credential_issuer: offer.credential_issuer,
      deferred_credential_endpoint: issuerMetadata.credentialIssuer.deferred_credential_endpoint,
      transaction_id: credentialResponse.transaction_id,
      interval: credentialResponse.interval,
      access_token: accessTokenResponse.access_token,
      holder_key: key.privateJwk,
      http,
    }
  }

  if (args.phase === 'fetch') {
    const issuerMetadata = await client.resolveIssuerMetadata(args.credential_issuer)
    const { deferredCredentialResponse } = await client.retrieveDeferredCredentials({
      issuerMetadata,
      accessToken: args.access_token,
      transactionId: args.transaction_id,
    })
    const credentials = (deferredCredentialResponse.credentials ?? []).map((c) => c.credential)
    const trust = { fetch, trustedCertificates: args.trusted_certificates ?? [] }
    const claims = []
    for (const credential of credentials) {
      const result = await verifyIssuedCredential(credential, trust)
      const cnf = result.claims.cnf?.jwk
      if (!cnf || cnf.x !== args.holder_key.x || cnf.y !== args.holder_key.y) {
        throw new PeerError('holder_binding', 'the credential is not bound to the key the wallet proved')
      }
      claims.push(result.claims)
    }
    return { credentials, claims, notification_id: deferredCredentialResponse.notification_id ?? null, http }
  }

  throw new PeerError('bad_arguments', 'phase must be request or fetch')
})
