// x5c chains (RFC 7515 §4.1.6), checked with node:crypto's X509Certificate: each certificate is
// signed by the next, the last by a configured trust anchor, all valid now. This is the trust
// model of a Credo wallet's trusted certificates (SD-JWT VC §3.5 "X.509", HAIP).

import { X509Certificate } from 'node:crypto'
import { PeerError } from './cli.mjs'

export function pemCertificates(pem) {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p))
}

export function sanNames(certificate) {
  const san = certificate.subjectAltName ?? ''
  const names = san.split(/,\s*/).filter(Boolean)
  return {
    sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
    sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
  }
}

export async function verifyX5cChain(x5c, anchorsPem, now = new Date()) {
  if (!Array.isArray(x5c) || x5c.length === 0) throw new PeerError('x5c_invalid', 'x5c is empty')
  const chain = x5c.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')))
  const anchors = anchorsPem.flatMap((pem) => pemCertificates(pem))
  if (anchors.length === 0) throw new PeerError('x5c_untrusted', 'no trusted certificates are configured for x5c')
  for (const cert of chain) {
    if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) {
      throw new PeerError('x5c_expired', `certificate ${cert.subject} is not valid now`)
    }
  }
  for (const cert of chain.slice(1)) {
    if (!cert.ca) throw new PeerError('x5c_broken', `certificate ${cert.subject} in x5c is not a CA but issues another`)
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
      throw new PeerError('x5c_broken', `certificate ${i} of x5c is not issued by certificate ${i + 1}`)
    }
  }
  const top = chain[chain.length - 1]
  const anchored = anchors.some((a) => a.fingerprint256 === top.fingerprint256 || (top.checkIssued(a) && top.verify(a.publicKey)))
  if (!anchored) throw new PeerError('x5c_untrusted', 'the x5c chain does not lead to a trusted certificate')
  return chain[0].publicKey.export({ format: 'jwk' })
}

export function leafCertificate(x5c) {
  return new X509Certificate(Buffer.from(x5c[0], 'base64'))
}
