// Custom domains' `*_path` certificate fields: refused without GATEHOUSE_TLS_DOMAIN_CERT_DIR, read only as bounded regular files under it; nothing outside is opened or served, and refusals do not tell what exists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { toJson } from '../src/store/db.ts';
import { selfSigned } from './helpers/certs.ts';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, grantRole, makeActor, setupMapped, type Actor } from './helpers/gcs.ts';

/** The certificate the server presents for a TLS server name (the handshake is awaited, not timed). */
function presented(server: TestServer, servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: Number(new URL(server.url).port), servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error('no peer certificate'));
    });
    socket.on('error', reject);
  });
}

const domain = (body: Record<string, unknown>) => ({ DATA_TYPE: 'domain#1.0.0', wildcard: false, ...body });

describe(`custom domain certificate files (${storeName})`, () => {
  let plain: TestServer;
  let withDir: TestServer;
  let plainAdmin: Actor;
  let dirAdmin: Actor;
  let certDir: string;
  let outside: string;
  let files: ReturnType<typeof selfSigned>;
  const caOf = (server: TestServer) => ({ cert: path.join(server.dataDir, 'tls/ca.pem'), key: path.join(server.dataDir, 'tls/ca-key.pem') });

  before(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-domain-certs-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-outside-'));
    plain = await startTestServer({ domain: 'gatehouse.test' });
    withDir = await startTestServer({ domain: 'gatehouse.test', tlsDomainCertDir: certDir });
    plainAdmin = await makeActor(plain, 'plain admin');
    await grantRole(plain, plainAdmin.id, 'administrator');
    dirAdmin = await makeActor(withDir, 'dir admin');
    await grantRole(withDir, dirAdmin.id, 'administrator');
    files = selfSigned(certDir, 'files.lab.test');
    // certbot's layout: live/ holds links into archive/, inside the directory.
    fs.mkdirSync(path.join(certDir, 'archive'));
    fs.mkdirSync(path.join(certDir, 'live'));
    fs.copyFileSync(files.certPath, path.join(certDir, 'archive/files1.pem'));
    fs.symlinkSync('../archive/files1.pem', path.join(certDir, 'live/files.pem'));
    execFileSync('mkfifo', [path.join(certDir, 'pipe.pem')]);
    fs.symlinkSync(caOf(withDir).key, path.join(certDir, 'escape.pem'));
    fs.symlinkSync(path.join(outside, 'missing.pem'), path.join(certDir, 'dangling.pem'));
    fs.symlinkSync('/dev/zero', path.join(certDir, 'zero.pem'));
    fs.writeFileSync(path.join(certDir, 'huge.pem'), Buffer.alloc(1024 * 1024 + 1, 'A'));
  });
  after(async () => {
    await plain?.stop();
    await withDir?.stop();
    for (const dir of [certDir, outside]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without a certificate directory every *_path is a 400 in the GCS envelope that says to send the content; nothing is stored', async () => {
    const { mappedId } = await setupMapped(plain, plainAdmin);
    const ca = caOf(plain);
    for (const [route, body] of [
      ['/api/endpoint/domain', { domain_name: 'gcs.lab.test', certificate_path: ca.cert, private_key_path: ca.key }],
      ['/api/endpoint/domain', { domain_name: 'gcs.lab.test', certificate: files.cert, private_key_path: files.keyPath }],
      [
        `/api/collections/${mappedId}/domain`,
        { domain_name: 'files.lab.test', certificate_chain_path: ca.cert, certificate: files.cert, private_key: files.key },
      ],
    ] as const) {
      const res = await api(plain, plainAdmin.token, 'PUT', route, domain(body));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.DATA_TYPE, 'result#1.0.0');
      assert.equal(res.body.code, 'bad_request');
      assert.equal(res.body.http_response_code, 400);
      assert.match(res.body.message, /_path is not accepted: .*Send the PEM content in (certificate|private_key|certificate_chain) instead/);
    }
    assert.equal((await api(plain, plainAdmin.token, 'GET', '/api/endpoint/domain')).status, 404);
    assert.equal((await api(plain, plainAdmin.token, 'GET', `/api/collections/${mappedId}/domain`)).status, 404);
    const created = await api(plain, plainAdmin.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.3.0',
      collection_type: 'mapped',
      display_name: 'with a domain',
      storage_gateway_id: (await api(plain, plainAdmin.token, 'GET', `/api/collections/${mappedId}`)).body.data[0].storage_gateway_id,
      collection_base_path: '/data',
      public: true,
      domain: domain({ domain_name: 'new.lab.test', certificate_path: ca.cert, private_key_path: ca.key }),
    });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.match(created.body.message, /certificate_path is not accepted/);
    // The content itself is accepted as before.
    const inline = await api(
      plain,
      plainAdmin.token,
      'PUT',
      `/api/collections/${mappedId}/domain`,
      domain({ domain_name: 'files.lab.test', certificate: files.cert, private_key: files.key }),
    );
    assert.equal(inline.status, 200, JSON.stringify(inline.body));
  });

  test('with a directory: paths outside it, links out of it, a FIFO, /dev/zero, a directory and an oversized file are all refused alike', async () => {
    const ca = caOf(withDir);
    const names = [
      ca.key,
      ca.cert,
      path.join(outside, 'missing.pem'),
      '../' + path.basename(outside) + '/missing.pem',
      '/dev/zero',
      'zero.pem',
      'pipe.pem',
      'escape.pem',
      'dangling.pem',
      'archive',
      'huge.pem',
      `${certDir}/../${path.basename(outside)}/missing.pem`,
      'no-such-file.pem',
    ];
    const messages = new Set<string>();
    for (const name of names) {
      for (const field of ['certificate_path', 'private_key_path']) {
        const res = await api(
          withDir,
          dirAdmin.token,
          'PUT',
          '/api/endpoint/domain',
          domain({ domain_name: 'files.lab.test', [field]: name, ...(field === 'private_key_path' ? { certificate: files.cert } : {}) }),
        );
        assert.equal(res.status, 400, `${field} ${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.DATA_TYPE, 'result#1.0.0');
        // What the answer says depends on the name sent only: it cannot tell what exists outside.
        messages.add(res.body.message.replace(JSON.stringify(name), '<name>'));
      }
    }
    assert.deepEqual(
      [...messages].sort(),
      ['certificate_path', 'private_key_path'].map((f) => `${f} <name> is not a regular file of at most 1048576 bytes in the TLS domain certificate directory`),
    );
    assert.equal((await api(withDir, dirAdmin.token, 'GET', '/api/endpoint/domain')).status, 404, 'nothing stored');
    // Content read from the directory is checked as inline content is.
    const mismatch = await api(
      withDir,
      dirAdmin.token,
      'PUT',
      '/api/endpoint/domain',
      domain({ domain_name: 'files.lab.test', certificate_path: 'files.lab.test.pem', private_key_path: 'files.lab.test.pem' }),
    );
    assert.equal(mismatch.status, 422);
    assert.match(JSON.stringify(mismatch.body), /private_key_path is not a PEM private key/);
  });

  test('files in the directory (relative, absolute under it, or through a link that stays inside) are served by SNI', async () => {
    for (const body of [
      { certificate_path: 'live/files.pem', private_key_path: files.keyPath },
      { certificate_path: files.certPath, private_key_path: 'files.lab.test-key.pem' },
    ]) {
      const res = await api(withDir, dirAdmin.token, 'PUT', '/api/endpoint/domain', domain({ domain_name: 'files.lab.test', ...body }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(
        JSON.stringify(res.body.data[0]),
        JSON.stringify({ DATA_TYPE: 'domain#1.0.0', domain_name: 'files.lab.test', wildcard: false }),
        'paths are never rendered',
      );
    }
    const cert = await presented(withDir, 'files.lab.test');
    assert.equal(cert.fingerprint256, new X509Certificate(files.cert).fingerprint256);
    assert.equal((await api(withDir, dirAdmin.token, 'DELETE', '/api/endpoint/domain')).status, 200);
  });

  test('a domain stored with paths outside the directory (the CA key, /dev/zero, a FIFO) serves none of them: the default certificate answers', async () => {
    const ca = caOf(withDir);
    const caFingerprint = new X509Certificate(fs.readFileSync(ca.cert)).fingerprint256;
    const defaultFingerprint = new X509Certificate(fs.readFileSync(path.join(withDir.dataDir, 'tls/server.pem'))).fingerprint256;
    const endpoint = await withDir.store.db.selectFrom('endpoints').selectAll().executeTakeFirstOrThrow();
    // As a store written before these checks could hold them: the API refuses them now.
    for (const [name, record] of [
      ['ca.lab.test', { certificate_path: ca.cert, private_key_path: ca.key }],
      ['zero.lab.test', { certificate_path: '/dev/zero', private_key_path: ca.key }],
      ['link.lab.test', { certificate_path: ca.cert, private_key_path: path.join(certDir, 'escape.pem') }],
      ['fifo.lab.test', { certificate_path: path.join(certDir, 'pipe.pem'), private_key_path: ca.key }],
    ] as const) {
      const doc = { ...JSON.parse(endpoint.document), domain: { domain_name: name, wildcard: false, ...record } };
      await withDir.store.db
        .updateTable('endpoints')
        .set({ document: toJson(doc) })
        .where('id', '=', endpoint.id)
        .execute();
      const cert = await presented(withDir, name);
      assert.notEqual(cert.fingerprint256, caFingerprint, `${name}: the CA's certificate is not served`);
      assert.equal(cert.fingerprint256, defaultFingerprint, name);
    }
    await withDir.store.db.updateTable('endpoints').set({ document: endpoint.document }).where('id', '=', endpoint.id).execute();
  });
});
