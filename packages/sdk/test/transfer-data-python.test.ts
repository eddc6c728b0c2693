// TransferData / DeleteData send exactly what the real Python SDK's builders send: both submit to one recording HTTP server and the requests are compared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteData, TransferClient, TransferData } from '../src/index.ts';
import { startServer, type RecordedRequest, type TestServer } from './helpers/server.ts';
import { python, realClientsSkip } from '../../server/test/helpers/real-clients.ts';

const SRC = '6f1c9a5e-3b0d-4c41-9a57-0b8f3e2d1c77';
const DST = '1d0a7a3e-5c4f-4b1e-8f55-3c9e2b7a6d10';

describe('TransferData and DeleteData against the Python SDK', { skip: realClientsSkip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req) => {
      if (req.url.pathname === '/v0.10/submission_id') return { body: { DATA_TYPE: 'submission_id', value: 'fetched-id' } };
      return {
        status: 202,
        body: { DATA_TYPE: `${req.url.pathname.endsWith('delete') ? 'delete' : 'transfer'}_result`, code: 'Accepted', task_id: 't', submission_id: 's' },
      };
    });
  });
  after(async () => {
    await server?.close();
  });

  /** The requests made by `run`, as [method, path, parsed body]. */
  async function recorded(run: () => Promise<unknown>) {
    const from = server.requests.length;
    await run();
    return server.requests.slice(from).map((r: RecordedRequest) => [r.method, r.url.pathname, r.body ? JSON.parse(r.body) : null]);
  }

  async function pythonSends(body: string) {
    const script = `
import sys, globus_sdk
tc = globus_sdk.TransferClient(base_url=sys.argv[1])
${body}
`;
    let out: Awaited<ReturnType<typeof python>> | undefined;
    const requests = await recorded(async () => {
      out = await python(script, {}, [`${server.origin}/`]);
    });
    assert.equal(out!.code, 0, out!.stderr);
    return requests;
  }

  const ours = () => new TransferClient({ baseUrl: server.origin, maxRetries: 0 });

  test('a minimal transfer: only the given keys, and a fetched submission id', async () => {
    const py = await pythonSends(`
t = globus_sdk.TransferData("${SRC}", "${DST}")
t.add_item("/a", "/b")
tc.submit_transfer(t)`);
    const ts = await recorded(async () => {
      const t = new TransferData(SRC, DST);
      t.addItem('/a', '/b');
      await ours().submitTransfer(t);
    });
    assert.deepEqual(ts, py);
    assert.equal(py.length, 2, 'GET /submission_id, then POST /transfer');
  });

  test('every option, item fields, filter rules', async () => {
    const py = await pythonSends(`
t = globus_sdk.TransferData("${SRC}", "${DST}", label="all of it", submission_id="sub-1", sync_level="mtime", verify_checksum=False,
    preserve_timestamp=True, encrypt_data=True, deadline="2030-01-01 12:00:00", skip_source_errors=True, fail_on_quota_errors=True,
    delete_destination_extra=True, notify_on_succeeded=False, notify_on_failed=True, notify_on_inactive=False,
    source_local_user="alice", destination_local_user="bob", additional_fields={"perf_cc": 2})
t.add_item("/dir", "/dest", recursive=True)
t.add_item("/f", "/g", external_checksum="abc", checksum_algorithm="SHA256", additional_fields={"extra": 1})
t.add_filter_rule("*.tmp")
t.add_filter_rule("keep*", method="include", type="dir")
tc.submit_transfer(t)`);
    const ts = await recorded(async () => {
      const t = new TransferData(SRC, DST, {
        label: 'all of it',
        submissionId: 'sub-1',
        syncLevel: 'mtime',
        verifyChecksum: false,
        preserveTimestamp: true,
        encryptData: true,
        deadline: '2030-01-01 12:00:00',
        skipSourceErrors: true,
        failOnQuotaErrors: true,
        deleteDestinationExtra: true,
        notifyOnSucceeded: false,
        notifyOnFailed: true,
        notifyOnInactive: false,
        sourceLocalUser: 'alice',
        destinationLocalUser: 'bob',
        additionalFields: { perf_cc: 2 },
      });
      t.addItem('/dir', '/dest', { recursive: true });
      t.addItem('/f', '/g', { externalChecksum: 'abc', checksumAlgorithm: 'SHA256', additionalFields: { extra: 1 } });
      t.addFilterRule('*.tmp');
      t.addFilterRule('keep*', { method: 'include', type: 'dir' });
      await ours().submitTransfer(t);
    });
    assert.deepEqual(ts, py);
  });

  test('a datetime deadline and an integer sync level', async () => {
    const py = await pythonSends(`
import datetime
t = globus_sdk.TransferData("${SRC}", "${DST}", submission_id="s", sync_level=3,
    deadline=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
t.add_item("/a", "/b")
tc.submit_transfer(t)`);
    const ts = await recorded(async () => {
      const t = new TransferData(SRC, DST, { submissionId: 's', syncLevel: 3, deadline: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)) });
      t.addItem('/a', '/b');
      await ours().submitTransfer(t);
    });
    assert.deepEqual(ts, py);
  });

  test('deletes: minimal and with every option', async () => {
    const py = await pythonSends(`
d = globus_sdk.DeleteData("${SRC}")
d.add_item("/x")
tc.submit_delete(d)
d = globus_sdk.DeleteData("${SRC}", label="clean", submission_id="s2", recursive=True, ignore_missing=True, interpret_globs=True,
    deadline="2030-01-01", notify_on_succeeded=False, local_user="alice", additional_fields={"k": "v"})
d.add_item("/y/*", additional_fields={"z": 0})
tc.submit_delete(d)`);
    const ts = await recorded(async () => {
      const first = new DeleteData(SRC);
      first.addItem('/x');
      await ours().submitDelete(first);
      const second = new DeleteData(SRC, {
        label: 'clean',
        submissionId: 's2',
        recursive: true,
        ignoreMissing: true,
        interpretGlobs: true,
        deadline: '2030-01-01',
        notifyOnSucceeded: false,
        localUser: 'alice',
        additionalFields: { k: 'v' },
      });
      second.addItem('/y/*', { additionalFields: { z: 0 } });
      await ours().submitDelete(second);
    });
    assert.deepEqual(ts, py);
  });
});
