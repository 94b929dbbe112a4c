// Peer status check: fetch a Token Status List token (draft-ietf-oauth-status-list §8: Accept
// application/statuslist+jwt), verify it, decode it with @sd-jwt/jwt-status-list, report one
// entry.
//
// Arguments (JSON): uri, idx, trusted_certificates, allow_jwt_vc_issuer_metadata (key lookup as
// in the wallet: x5c or DID 'iss' like Credo, plus the optional JWT VC Issuer Metadata).
// Result: status (0 valid, 1 invalid, 2 suspended, ...), bits, size, sub, iat, exp, ttl,
// content_type, key_resolution.

import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list'
import { PeerError, runCli } from './lib/cli.mjs'
import { timedFetch } from './lib/http.mjs'
import { decodeJwtParts, resolveIssuerJwk } from './lib/issuer-key.mjs'
import { verifySignature } from './lib/keys.mjs'

const MEDIA_TYPE = 'application/statuslist+jwt'

runCli('status', async (args) => {
  if (!args.uri || !Number.isInteger(args.idx)) throw new PeerError('bad_arguments', 'uri and an integer idx are required')
  const fetch = timedFetch(5000)
  const response = await fetch(args.uri, { headers: { Accept: MEDIA_TYPE } })
  const contentType = response.headers.get('content-type') ?? ''
  const token = (await response.text()).trim()
  if (!response.ok) throw new PeerError('fetch_http_status', `${args.uri} answered HTTP ${response.status}`)
  if (!contentType.includes(MEDIA_TYPE)) throw new PeerError('content_type', `status list served as '${contentType}', not ${MEDIA_TYPE}`)

  const [header64, payload64, signature] = token.split('.')
  const parts = decodeJwtParts(`${header64}.${payload64}`)
  if (parts.header.typ !== 'statuslist+jwt') throw new PeerError('typ_invalid', `typ is '${parts.header.typ}', expected 'statuslist+jwt'`)
  const resolved = await resolveIssuerJwk(parts, {
    fetch,
    trustedCertificates: args.trusted_certificates ?? [],
    allowJwtVcIssuerMetadata: Boolean(args.allow_jwt_vc_issuer_metadata),
  })
  await verifySignature(`${header64}.${payload64}`, signature, resolved.publicJwk, parts.header.alg)
  const { payload } = parts
  // §8.3 (the library leaves these to the caller): the token is about this list, and current.
  if (payload.sub !== args.uri) throw new PeerError('sub_mismatch', `status list sub '${payload.sub}' is not ${args.uri}`)
  const now = Math.floor(Date.now() / 1000)
  if (typeof payload.exp === 'number' && payload.exp < now) throw new PeerError('expired', 'the status list token has expired')

  const list = getListFromStatusListJWT(token)
  return {
    status: list.getStatus(args.idx),
    bits: list.getBitsPerStatus(),
    size: list.statusList.length,
    sub: payload.sub,
    iss: payload.iss ?? null,
    iat: payload.iat,
    exp: payload.exp ?? null,
    ttl: payload.ttl ?? null,
    content_type: contentType,
    key_resolution: resolved.method,
  }
})
