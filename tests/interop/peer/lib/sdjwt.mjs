// SD-JWT VC verification with @sd-jwt/sd-jwt-vc, keys resolved as in ./issuer-key.mjs.

import { digest, generateSalt } from '@sd-jwt/crypto-nodejs'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { PeerError } from './cli.mjs'
import { decodeJwtParts, resolveIssuerJwk } from './issuer-key.mjs'
import { verifySignature } from './keys.mjs'

// A verifier callback for @sd-jwt: it only sees "<header>.<payload>" and the signature, so it
// decodes the header and payload itself to find the key. Used for the credential and for its
// status list token alike (the same trust rules apply to both in Credo).
export function issuerVerifier(options, record) {
  return async (data, signature) => {
    const parts = decodeJwtParts(data)
    const resolved = await resolveIssuerJwk(parts, options)
    record.push({ typ: parts.header.typ, iss: parts.payload.iss, method: resolved.method })
    return verifySignature(data, signature, resolved.publicJwk, parts.header.alg)
  }
}

export function sdJwtVc(config = {}) {
  return new SDJwtVcInstance({ hasher: digest, saltGenerator: generateSalt, timeout: 5000, ...config })
}

// Verify an issued SD-JWT VC (no key binding), its status (when it has one) and, optionally, its
// Type Metadata. Throws the library's error; returns claims and what was resolved.
export async function verifyIssuedCredential(credential, options) {
  const record = []
  const statuses = []
  const instance = sdJwtVc({
    verifier: issuerVerifier(options, record),
    loadTypeMetadataFormat: Boolean(options.loadTypeMetadata),
    statusValidator: async (status) => {
      statuses.push(status)
      if (status !== 0) throw new PeerError('status_not_valid', `the credential's status is ${status} (0 = valid)`)
    },
  })
  const result = await instance.verify(credential)
  if (result.header?.typ !== 'dc+sd-jwt') {
    throw new PeerError('typ_invalid', `issuer-signed JWT typ is '${result.header?.typ}', expected 'dc+sd-jwt'`)
  }
  return {
    claims: result.payload,
    header: result.header,
    key_resolution: record,
    status: statuses[0],
    type_metadata: result.typeMetadata?.mergedTypeMetadata,
  }
}
