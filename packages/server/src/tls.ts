// TLS material: the admin's certificate, or a local CA and server certificate made on first start.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs it
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TlsMaterial {
  cert: string;
  key: string;
  /** the local CA clients must trust; undefined when the admin supplied the certificate */
  caPath?: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
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
  if (!fs.existsSync(files.cert) || !fs.existsSync(files.key) || !certCovers(fs.readFileSync(files.cert, 'utf8'), domain)) {
    const ca = new x509.X509Certificate(fs.readFileSync(files.ca, 'utf8'));
    const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(fs.readFileSync(files.caKey, 'utf8')), ALG, false, ['sign']);
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${domain}`,
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
        new x509.SubjectAlternativeNameExtension(sanNames(domain)),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
      ],
    });
    await writeFile(files.key, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey)), 0o600);
    await writeFile(files.cert, cert.toString('pem') + '\n' + fs.readFileSync(files.ca, 'utf8'), 0o644);
  }
  return { cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8'), caPath: files.ca };
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
