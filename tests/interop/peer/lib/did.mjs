// DID resolution as a Credo-based wallet does it: did:web over https (W3C CCG did:web §3.2),
// did:jwk, and did:key for Ed25519 and P-256. Keys are taken from publicKeyJwk.

import { createPublicKey } from 'node:crypto'
import * as jose from 'jose'
import { PeerError } from './cli.mjs'
import { fetchJson } from './http.mjs'

export function didWebUrl(did) {
  const [, , rest] = did.split(':', 3)
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent)
  if (!rest || parts.some((p) => !p || p.includes('/'))) throw new PeerError('invalid_did', `malformed did:web ${did}`)
  const [host, ...path] = parts
  return path.length ? `https://${host}/${path.join('/')}/did.json` : `https://${host}/.well-known/did.json`
}

export function didWebFromUrl(url) {
  const parsed = new URL(url)
  const host = parsed.port ? `${parsed.hostname}%3A${parsed.port}` : parsed.hostname
  const path = parsed.pathname.split('/').filter(Boolean)
  return ['did:web', host, ...path].join(':')
}

export function didJwk(publicJwk) {
  return `did:jwk:${jose.base64url.encode(JSON.stringify(publicJwk))}`
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

function base58Decode(text) {
  let value = 0n
  for (const ch of text) {
    const digit = BASE58.indexOf(ch)
    if (digit < 0) throw new PeerError('invalid_did', 'did:key is not base58btc')
    value = value * 58n + BigInt(digit)
  }
  const bytes = []
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn))
    value >>= 8n
  }
  for (const ch of text) {
    if (ch !== '1') break
    bytes.unshift(0)
  }
  return Uint8Array.from(bytes)
}

function didKeyJwk(did) {
  const id = did.slice('did:key:'.length)
  if (!id.startsWith('z')) throw new PeerError('invalid_did', 'did:key must be base58btc (z...)')
  const bytes = base58Decode(id.slice(1))
  if (bytes[0] === 0xed && bytes[1] === 0x01 && bytes.length === 34) {
    return { kty: 'OKP', crv: 'Ed25519', x: jose.base64url.encode(bytes.slice(2)) }
  }
  if (bytes[0] === 0x80 && bytes[1] === 0x24 && bytes.length === 35) {
    // SPKI DER for a compressed P-256 point; node:crypto decompresses it.
    const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex')
    const key = createPublicKey({ key: Buffer.concat([prefix, Buffer.from(bytes.slice(2))]), format: 'der', type: 'spki' })
    return key.export({ format: 'jwk' })
  }
  throw new PeerError('unsupported_did', 'did:key with an unsupported key type')
}

export async function resolveDid(did, fetcher) {
  if (did.startsWith('did:jwk:')) {
    const jwk = JSON.parse(new TextDecoder().decode(jose.base64url.decode(did.slice('did:jwk:'.length))))
    return { id: did, verificationMethod: [{ id: `${did}#0`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk }] }
  }
  if (did.startsWith('did:key:')) {
    const vm = `${did}#${did.slice('did:key:'.length)}`
    return { id: did, verificationMethod: [{ id: vm, type: 'JsonWebKey2020', controller: did, publicKeyJwk: didKeyJwk(did) }] }
  }
  if (did.startsWith('did:web:')) {
    if (!fetcher) throw new PeerError('no_network', 'did:web resolution needs the network')
    const document = await fetchJson(fetcher, didWebUrl(did))
    if (document.id !== did) throw new PeerError('did_document_invalid', `the DID document at ${didWebUrl(did)} is for ${document.id}, not ${did}`)
    return document
  }
  throw new PeerError('unsupported_did', `unsupported DID method in ${did}`)
}

export async function resolveDidUrlJwk(didUrl, fetcher) {
  const [did, fragment] = didUrl.split('#', 2)
  if (!did.startsWith('did:') || !fragment) throw new PeerError('invalid_did_url', `${didUrl} is not a DID URL with a fragment`)
  const document = await resolveDid(did, fetcher)
  const method = (document.verificationMethod ?? []).find((vm) => vm.id === didUrl || vm.id === `#${fragment}`)
  if (!method?.publicKeyJwk) throw new PeerError('did_key_not_found', `${did} has no verification method #${fragment} with a publicKeyJwk`)
  return method.publicKeyJwk
}
