// Peer wallet, present: OpenID4VP 1.0 with @openid4vc/openid4vp, DCQL with the `dcql` package
// (what Credo uses), the presentation with @sd-jwt/sd-jwt-vc.
//
// Arguments (JSON): request (openid4vp:// URI), credential (SD-JWT VC), holder_key (private
// JWK), trusted_certificates (PEM texts for x5c-signed requests), allow_insecure_urls,
// kb_aud (replaces the KB-JWT aud: only for tests that check a verifier refuses it).
// Steps: resolve the request (by value or by reference, signed JAR or not) and check it as the
// library does; evaluate the DCQL query against the credential; disclose only what a matching
// claim set needs; add a KB-JWT (aud = the full client_id, nonce = the request's); send it by
// direct_post or direct_post.jwt (JWE, ECDH-ES to the key in client_metadata.jwks).
// Result: client (prefix, identifier, effective), disclosed, kb, verifier (status, body).

import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { DcqlQuery } from 'dcql'
import { PeerError, runCli } from './lib/cli.mjs'
import { timedFetch } from './lib/http.mjs'
import { callbackContext, algOf, sdJwtSigner } from './lib/keys.mjs'
import { sdJwtVc } from './lib/sdjwt.mjs'

// DCQL's matched claims ({a: {b: 1}}) as an @sd-jwt presentation frame ({a: {b: true}}).
function frameOf(output) {
  return Object.fromEntries(
    Object.entries(output).map(([name, value]) => [
      name,
      value !== null && typeof value === 'object' && !Array.isArray(value) ? frameOf(value) : true,
    ]),
  )
}

runCli('wallet-present', async (args) => {
  for (const name of ['request', 'credential', 'holder_key']) {
    if (!args[name]) throw new PeerError('bad_arguments', `${name} is required`)
  }
  setGlobalConfig({ allowInsecureUrls: Boolean(args.allow_insecure_urls) })
  const http = []
  const fetch = timedFetch(5000, http)
  const callbacks = callbackContext({ fetch, trustedCertificates: args.trusted_certificates ?? [] })
  const client = new Openid4vpClient({ callbacks })

  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: args.request })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const request = resolved.authorizationRequestPayload
  if (!resolved.dcql) throw new PeerError('no_dcql', 'the request has no dcql_query (only DCQL is supported)')

  const sdjwt = sdJwtVc()
  const claims = await sdjwt.getClaims(args.credential)
  const query = DcqlQuery.parse(resolved.dcql.query)
  DcqlQuery.validate(query)
  const result = DcqlQuery.query(query, [
    { credential_format: 'dc+sd-jwt', vct: claims.vct, claims, cryptographic_holder_binding: Boolean(claims.cnf) },
  ])
  if (!result.can_be_satisfied) {
    throw new PeerError('dcql_unsatisfied', 'the credential does not satisfy the DCQL query', { credential_matches: result.credential_matches })
  }

  const alg = algOf(args.holder_key)
  sdjwt.config({ kbSigner: await sdJwtSigner(args.holder_key, alg), kbSignAlg: alg })
  const kb = { aud: args.kb_aud ?? resolved.client.effective, nonce: request.nonce, iat: Math.floor(Date.now() / 1000) }
  const vpToken = {}
  const disclosed = {}
  for (const [id, match] of Object.entries(result.credential_matches)) {
    if (!match.success) continue
    const claimSet = match.valid_credentials[0].claims.valid_claim_sets?.[0]?.output ?? {}
    const frame = frameOf(claimSet)
    vpToken[id] = [await sdjwt.present(args.credential, frame, { kb: { payload: kb } })]
    disclosed[id] = frame
  }

  const jarm =
    request.response_mode === 'direct_post.jwt'
      ? {
          encryption: { nonce: undefined },
          serverMetadata: {
            authorization_signing_alg_values_supported: [],
            authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
          },
        }
      : undefined
  const response = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: vpToken },
    jarm,
  })
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: response.authorizationResponsePayload,
    jarm: response.jarm ? { responseJwt: response.jarm.responseJwt } : undefined,
  })
  const text = await submitted.response.text()
  let body
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  const answer = {
    client: resolved.client,
    signed: Boolean(resolved.jar),
    version: resolved.version,
    response_mode: request.response_mode,
    disclosed,
    kb,
    verifier: { status: submitted.response.status, body },
    http,
  }
  if (!submitted.response.ok) {
    throw new PeerError('verifier_refused', `the verifier answered HTTP ${submitted.response.status}: ${text.slice(0, 500)}`, answer)
  }
  return answer
})
