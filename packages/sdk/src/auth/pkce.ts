// PKCE (RFC 7636, S256 only) with Web Crypto so it runs in Node and browsers alike.

/** base64url without padding. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random code verifier of `length` (43–128) characters from the base64url alphabet; 43 = 32 random bytes. */
export function createCodeVerifier(length = 43): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) throw new RangeError('PKCE verifier length must be 43..128');
  const bytes = new Uint8Array(Math.ceil((length * 3) / 4));
  globalThis.crypto.getRandomValues(bytes);
  return base64UrlEncode(bytes).slice(0, length);
}

/** code_challenge = BASE64URL(SHA256(verifier)). */
export async function codeChallengeS256(verifier: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}
