// The checksum algorithms of Transfer's verify_checksum and checksum sync level: incremental hashers whose state can be read without ending them.
import { createHash, type Hash } from 'node:crypto';
import zlib from 'node:zlib';
import { ConnectorError } from './types.ts';

export interface Hasher {
  update(bytes: Uint8Array): void;
  /** the digest of everything so far (lowercase hex); the hasher goes on */
  peek(): string;
}

const NODE_NAMES: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA224: 'sha224', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };

/** The canonical upper-case name (`sha-256` → `SHA256`), or null when Gatehouse does not compute it. */
export function algorithmName(algorithm: string): string | null {
  const name = algorithm.toUpperCase().replace(/-/g, '');
  return name in NODE_NAMES || name === 'CRC32' ? name : null;
}

export function supportedAlgorithms(): string[] {
  return [...Object.keys(NODE_NAMES), 'CRC32'];
}

class NodeHasher implements Hasher {
  private readonly hash: Hash;
  constructor(hash: Hash) {
    this.hash = hash;
  }
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }
  peek(): string {
    return this.hash.copy().digest('hex');
  }
}

class Crc32Hasher implements Hasher {
  private value = 0;
  update(bytes: Uint8Array): void {
    this.value = zlib.crc32(bytes, this.value);
  }
  peek(): string {
    return (this.value >>> 0).toString(16).padStart(8, '0');
  }
}

/** A hasher for `algorithm` (case-insensitive); unsupported_checksum_algorithm otherwise. */
export function newHasher(algorithm: string): Hasher {
  const name = algorithmName(algorithm);
  if (name === null)
    throw new ConnectorError('unsupported_checksum_algorithm', `Checksum algorithm '${algorithm}' is not supported (${supportedAlgorithms().join(', ')})`);
  return name === 'CRC32' ? new Crc32Hasher() : new NodeHasher(createHash(NODE_NAMES[name]));
}
