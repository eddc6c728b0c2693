// Certificate files a custom domain names (`*_path`): read only from the operator's GATEHOUSE_TLS_DOMAIN_CERT_DIR, as bounded regular files.
import fs from 'node:fs';
import path from 'node:path';

/** The most a certificate, chain or key file may hold: a long chain is a few tens of KiB. */
export const MAX_DOMAIN_FILE_BYTES = 1024 * 1024;

export const DOMAIN_PATH_FIELDS = ['certificate_path', 'certificate_chain_path', 'private_key_path'] as const;

/**
 * Why a `*_path` could not be used. The message names only what the caller sent and says nothing about
 * what the file system holds outside the directory: every refusal of one path reads the same.
 */
export class DomainFileError extends Error {}

/**
 * The name relative to `dir` (as configured, or its real path), or undefined when it lies outside. Purely
 * lexical: a name outside is refused without any file-system call, so its answer cannot depend on what exists.
 */
function relativeName(name: string, dir: string, realDir: string): string | undefined {
  if (name.includes('\0')) return undefined;
  const candidates = path.isAbsolute(name) ? [dir, realDir].map((base) => path.relative(base, path.normalize(name))) : [path.normalize(name)];
  return candidates.find((rel) => rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function refused(field: string, name: string): DomainFileError {
  return new DomainFileError(
    `${field} ${JSON.stringify(name)} is not a regular file of at most ${MAX_DOMAIN_FILE_BYTES} bytes in the TLS domain certificate directory`,
  );
}

/**
 * Reads `name` (relative to `dir`, or absolute under it) for `field`. Links are followed only while they stay
 * inside `dir` (certbot's live/ → archive/ layout works); the final open never follows a link, never blocks
 * (a FIFO), and only a regular file of bounded size is read, from the descriptor that was checked.
 */
export async function readDomainFile(dir: string | undefined, field: string, name: string): Promise<string> {
  if (!dir)
    throw new DomainFileError(
      `${field} is not accepted: this server reads no certificate files named through the API. Send the PEM content in ${field.replace(/_path$/, '')} instead`,
    );
  let handle: fs.promises.FileHandle | undefined;
  try {
    const realDir = await fs.promises.realpath(dir);
    const rel = relativeName(name, dir, realDir);
    if (rel === undefined) throw refused(field, name);
    const real = await fs.promises.realpath(path.join(realDir, rel));
    if (!real.startsWith(realDir + path.sep)) throw refused(field, name);
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_DOMAIN_FILE_BYTES) throw refused(field, name);
    // One byte more than fstat said: a file that grows while it is read is refused (the next read will see it whole).
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > stat.size) throw refused(field, name);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof DomainFileError) throw error;
    throw refused(field, name);
  } finally {
    await handle?.close();
  }
}

/** The PEM text of one part of a domain's material: inline content wins, else the named file; undefined when neither is given. */
export async function domainPem(
  domain: Record<string, unknown>,
  field: 'certificate' | 'certificate_chain' | 'private_key',
  dir: string | undefined,
): Promise<string | undefined> {
  const inline = domain[field];
  if (typeof inline === 'string' && inline.trim()) return inline;
  const file = domain[`${field}_path`];
  if (typeof file === 'string' && file) return readDomainFile(dir, `${field}_path`, file);
  return undefined;
}
