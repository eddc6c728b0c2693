// Random tokens, their stored hashes, constant-time comparison and memory-hard password hashing.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { passwordPool } from './password-pool.ts';

/** 256 bits of randomness, base64url: access tokens, refresh tokens, codes, secrets. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** High-entropy secrets are stored only as SHA-256: a stolen table yields nothing usable. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare equal-length digests so the timing reveals neither content nor length.
  const da = createHash('sha256').update(ab).digest();
  const db = createHash('sha256').update(bb).digest();
  return timingSafeEqual(da, db) && ab.length === bb.length;
}

export function newId(): string {
  return randomUUID();
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

/** On the password pool's threads: node's async scrypt would take libuv's pool, which file I/O shares. */
function scryptAsync(password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return passwordPool().scrypt(password, salt, keylen, options);
}

/** scrypt (memory-hard, 32 MiB per hash) in a self-describing string. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = SCRYPT;
  const key = await scryptAsync(password, salt, keylen, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // Without a stored hash still spend the same work, so unknown users are not told apart by timing.
  const parts = (stored ?? '').split('$');
  const valid = parts.length === 6 && parts[0] === 'scrypt';
  const [N, r, p] = valid ? parts.slice(1, 4).map(Number) : [SCRYPT.N, SCRYPT.r, SCRYPT.p];
  const salt = valid ? Buffer.from(parts[4], 'base64url') : randomBytes(16);
  const expected = valid ? Buffer.from(parts[5], 'base64url') : randomBytes(SCRYPT.keylen);
  const key = await scryptAsync(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(key, expected) && valid;
}
