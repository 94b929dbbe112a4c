// Which key signed an SD-JWT VC, resolved the way a Credo-based wallet or verifier does:
//   * an `x5c` header: the chain must lead to a trusted certificate and, for an https `iss`,
//     the leaf must name it (SAN URI equal to iss, or SAN dNSName equal to its host);
//   * an `iss` that is a DID: `kid` is a DID URL of it (or a bare '#fragment'), resolved;
//   * anything else is refused: Credo does not fetch JWT VC Issuer Metadata
//     (/.well-known/jwt-vc-issuer, SD-JWT VC §4).
// `allowJwtVcIssuerMetadata` adds that last method (the peer's own extension, off by default),
// to show what the rest of the stack does with a credential once its key is found.

import { PeerError } from './cli.mjs'
import { resolveDidUrlJwk } from './did.mjs'
import { fetchJson } from './http.mjs'
import { leafCertificate, sanNames, verifyX5cChain } from './x509.mjs'

export function decodeJwtParts(data) {
  const [header, payload] = data.split('.')
  const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  return { header: decode(header), payload: decode(payload) }
}

export function jwtVcIssuerMetadataUrl(iss) {
  const url = new URL(iss)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}/.well-known/jwt-vc-issuer${path}`
}

export async function resolveIssuerJwk({ header, payload }, { fetch, trustedCertificates = [], allowJwtVcIssuerMetadata = false }) {
  const iss = payload.iss
  if (header.x5c) {
    const publicJwk = await verifyX5cChain(header.x5c, trustedCertificates)
    if (typeof iss === 'string' && iss.startsWith('https://')) {
      const { sanUriNames, sanDnsNames } = sanNames(leafCertificate(header.x5c))
      if (!sanUriNames.includes(iss) && !sanDnsNames.includes(new URL(iss).hostname)) {
        throw new PeerError('x5c_iss_mismatch', `the x5c leaf certificate names neither iss ${iss} (SAN URI) nor its host (SAN DNS)`)
      }
    }
    return { method: 'x5c', publicJwk }
  }
  if (typeof iss === 'string' && iss.startsWith('did:')) {
    const kid = header.kid
    if (!kid) throw new PeerError('kid_missing', `iss is the DID ${iss} but the header has no kid`)
    const didUrl = kid.startsWith('#') ? `${iss}${kid}` : kid
    if (!didUrl.startsWith(`${iss}#`)) throw new PeerError('kid_iss_mismatch', `kid ${kid} is not a key of iss ${iss}`)
    return { method: 'did', didUrl, publicJwk: await resolveDidUrlJwk(didUrl, fetch) }
  }
  if (allowJwtVcIssuerMetadata && typeof iss === 'string') {
    const url = jwtVcIssuerMetadataUrl(iss)
    const metadata = await fetchJson(fetch, url)
    if (metadata.issuer !== iss) throw new PeerError('metadata_issuer_mismatch', `${url} names issuer ${metadata.issuer}, not ${iss}`)
    const jwks = metadata.jwks ?? (metadata.jwks_uri ? await fetchJson(fetch, metadata.jwks_uri) : null)
    const key = (jwks?.keys ?? []).find((k) => !header.kid || k.kid === header.kid)
    if (!key) throw new PeerError('issuer_key_not_found', `${url} has no key ${header.kid}`)
    return { method: 'jwt-vc-issuer', publicJwk: key }
  }
  throw new PeerError(
    'unsupported_issuer_key_method',
    `Unsupported SD-JWT VC issuer: a Credo-based wallet resolves the issuer key only from an x5c header or a DID 'iss' (this credential has iss '${iss}', kid '${header.kid}', no x5c; JWT VC Issuer Metadata at /.well-known/jwt-vc-issuer is not consulted)`,
  )
}
