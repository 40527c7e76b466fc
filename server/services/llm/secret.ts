import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Secrets at rest (the LLM provider key): AES-256-GCM under a key derived with HKDF-SHA256 from the server secret
 * (NUXT_SESSION_PASSWORD). Changing the server secret makes stored secrets unreadable, never wrongly readable.
 */

const VERSION = 'v1'
const SALT = 'proofdeck/settings'

function deriveKey(serverSecret: string, purpose: string): Buffer {
  if (serverSecret.length < 32) throw new Error('the server secret (NUXT_SESSION_PASSWORD) must be at least 32 characters to encrypt settings')
  return Buffer.from(hkdfSync('sha256', serverSecret, SALT, `proofdeck ${purpose} ${VERSION}`, 32))
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url; `purpose` binds the ciphertext to one use (also as associated data). */
export function encryptSecret(plain: string, serverSecret: string, purpose: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(serverSecret, purpose), iv)
  cipher.setAAD(Buffer.from(purpose))
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
}

/** The plain secret, or null when it cannot be decrypted (other server secret, tampered, other purpose). */
export function decryptSecret(sealed: string, serverSecret: string, purpose: string): string | null {
  const [version, iv, tag, body] = sealed.split('.')
  if (version !== VERSION || !iv || !tag || body == null) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(serverSecret, purpose), Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(purpose))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }
  catch {
    return null
  }
}
