// TLS material: the admin's certificate, or a local CA and server certificate made on first start; custom domains' certificates by SNI.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs it
import * as x509 from '@peculiar/x509';
import { domainPem } from './tls-domain-files.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TlsMaterial {
  cert: string;
  key: string;
  /** the local CA clients must trust; undefined when the admin supplied the certificate */
  caPath?: string;
  /** the local CA's certificate and key: it also signs certificates for custom domains stored without one */
  issuer?: { cert: string; key: string };
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

function sanNames(domain: string): x509.JsonGeneralName[] {
  const names = new Map<string, x509.JsonGeneralName>();
  for (const n of ['localhost', '127.0.0.1', '::1', domain]) {
    names.set(n, net.isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n });
  }
  // A wildcard lets per-collection host names (<id>.<domain>) share the certificate.
  if (!net.isIP(domain)) names.set(`*.${domain}`, { type: 'dns', value: `*.${domain}` });
  return [...names.values()];
}

async function writeFile(file: string, content: string, mode: number): Promise<void> {
  await fs.promises.writeFile(file, content, { mode });
}

/** Creates `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem` under dataDir/tls when absent. */
export async function ensureLocalTls(dataDir: string, domain: string): Promise<TlsMaterial> {
  const dir = path.join(dataDir, 'tls');
  const files = {
    ca: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server-key.pem'),
  };
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(files.ca) || !fs.existsSync(files.caKey)) {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=Gatehouse local CA ${new Date().toISOString().slice(0, 10)}`,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
      keys: keys as CryptoKeyPair,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
      ],
    });
    await writeFile(files.caKey, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey)), 0o600);
    await writeFile(files.ca, ca.toString('pem') + '\n', 0o644);
    await fs.promises.rm(files.cert, { force: true });
  }
  const issuer = { cert: fs.readFileSync(files.ca, 'utf8'), key: fs.readFileSync(files.caKey, 'utf8') };
  if (!fs.existsSync(files.cert) || !fs.existsSync(files.key) || !certCovers(fs.readFileSync(files.cert, 'utf8'), domain)) {
    const leaf = await issueCertificate(issuer, domain, sanNames(domain));
    await writeFile(files.key, leaf.key, 0o600);
    await writeFile(files.cert, leaf.cert, 0o644);
  }
  return { cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8'), caPath: files.ca, issuer };
}

/** A server certificate (825 days, the CA appended as its chain) for `names`, signed by the local CA. */
async function issueCertificate(
  issuer: { cert: string; key: string },
  commonName: string,
  names: x509.JsonGeneralName[],
): Promise<{ cert: string; key: string }> {
  const ca = new x509.X509Certificate(issuer.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(issuer.key), ALG, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 825 * 86400_000),
    signingKey: caKey as unknown as CryptoKey,
    publicKey: keys.publicKey as CryptoKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return { cert: cert.toString('pem') + '\n' + issuer.cert, key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey)) };
}

function pemBody(text: string): ArrayBuffer {
  const b = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function certCovers(certPem: string, domain: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo).getTime() < Date.now() + 7 * 86400_000) return false;
    return net.isIP(domain) ? cert.checkIP(domain) !== undefined : cert.checkHost(domain) !== undefined;
  } catch {
    return false;
  }
}

/** The admin's certificate and key, or the local CA's. */
export async function loadTls(options: { dataDir: string; domain: string; tlsCert?: string; tlsKey?: string }): Promise<TlsMaterial> {
  if (options.tlsCert && options.tlsKey) {
    return { cert: fs.readFileSync(options.tlsCert, 'utf8'), key: fs.readFileSync(options.tlsKey, 'utf8') };
  }
  return ensureLocalTls(options.dataDir, options.domain);
}

/** Certificate material of a stored `domain#1.0.0`: inline PEM, or files under the certificate directory that must exist on every node. */
export interface DomainCertificate {
  domain_name: string;
  wildcard: boolean;
  certificate?: unknown;
  certificate_chain?: unknown;
  private_key?: unknown;
  certificate_path?: unknown;
  certificate_chain_path?: unknown;
  private_key_path?: unknown;
}

export type SniCallback = (servername: string, done: (error: Error | null, context?: tls.SecureContext) => void) => void;

export interface SniOptions {
  /** The stored domain whose certificate serves this TLS server name; undefined keeps the default certificate. */
  domainFor(servername: string): Promise<DomainCertificate | undefined>;
  /** The local CA: it signs a certificate for a domain stored without one. */
  issuer?: { cert: string; key: string };
  onError?(servername: string, error: unknown): void;
  /** The only directory `*_path` files are read from (GATEHOUSE_TLS_DOMAIN_CERT_DIR); without it only inline PEM serves. */
  certDir?: string;
  /** How long a server name's context is reused; files are read again after it, so renewed certificates are picked up. */
  ttlMs?: number;
}

async function domainMaterial(domain: DomainCertificate, certDir: string | undefined): Promise<{ cert: string; key: string } | undefined> {
  const record = domain as unknown as Record<string, unknown>;
  const cert = await domainPem(record, 'certificate', certDir);
  if (!cert) return undefined;
  const key = await domainPem(record, 'private_key', certDir);
  if (!key) throw new Error(`domain ${domain.domain_name} has a certificate but no private key`);
  const chain = await domainPem(record, 'certificate_chain', certDir);
  return { cert: chain ? `${cert.trimEnd()}\n${chain}` : cert, key };
}

/**
 * Serves each custom domain's own certificate by SNI. A domain stored without one gets a certificate from
 * the local CA, when there is one; any other name, or material that fails to load, gets the default.
 */
export function sniCallback(o: SniOptions): SniCallback {
  const ttl = o.ttlMs ?? 5000;
  const contexts = new Map<string, { at: number; context: Promise<tls.SecureContext | undefined> }>();
  // Certificates of the local CA outlive the process, so they are made once per name.
  const issued = new Map<string, Promise<{ cert: string; key: string }>>();
  const issue = (name: string) => {
    let leaf = issued.get(name);
    if (!leaf) {
      leaf = issueCertificate(o.issuer!, name, [{ type: 'dns', value: name }]);
      issued.set(name, leaf);
      leaf.catch(() => issued.delete(name));
    }
    return leaf;
  };
  async function contextFor(servername: string): Promise<tls.SecureContext | undefined> {
    const domain = await o.domainFor(servername);
    if (!domain) return undefined;
    const material =
      (await domainMaterial(domain, o.certDir)) ?? (o.issuer ? await issue(domain.wildcard ? `*.${domain.domain_name}` : domain.domain_name) : undefined);
    return material && tls.createSecureContext(material);
  }
  return (servername, done) => {
    const name = servername.toLowerCase();
    let entry = contexts.get(name);
    if (!entry || Date.now() - entry.at > ttl) {
      // Server names come from clients: bound what they can make us keep.
      if (contexts.size >= 1000) contexts.clear();
      entry = {
        at: Date.now(),
        context: contextFor(name).catch((error) => {
          o.onError?.(name, error);
          return undefined;
        }),
      };
      contexts.set(name, entry);
    }
    void entry.context.then((context) => done(null, context));
  };
}
