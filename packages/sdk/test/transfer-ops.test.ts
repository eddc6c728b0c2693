// TransferClient file operations against a real local HTTP server: what ls/mkdir/rename/delete send, ls paging, task polling.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteData, TransferAPIError, TransferClient, nameFilter, operationLsQuery } from '../src/index.ts';
import { startServer } from './helpers/server.ts';
import type { Handler, TestServer } from './helpers/server.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function transfer(handler: Handler): Promise<{ server: TestServer; client: TransferClient }> {
  const server = await startServer(handler);
  servers.push(server);
  return { server, client: new TransferClient({ baseUrl: server.origin, retryBaseDelayMs: 1 }) };
}

const EP = '6f1c9a5e-3b0d-4c41-9a57-0b8f3e2d1c77';
const entry = (name: string, type = 'file') => ({
  DATA_TYPE: 'file',
  name,
  type,
  link_target: null,
  user: 'u',
  group: 'g',
  permissions: '0644',
  size: 1,
  last_modified: '2024-01-01 00:00:00+00:00',
});

test('operationLsQuery maps options to Transfer query names and joins lists', () => {
  assert.deepEqual(
    operationLsQuery({ path: '/a/', showHidden: false, limit: 5, offset: 10, orderBy: ['type', 'name DESC'], filter: ['type:file', 'name:~*.txt'] }),
    {
      path: '/a/',
      show_hidden: false,
      limit: 5,
      offset: 10,
      orderby: 'type,name DESC',
      filter: 'type:file/name:~*.txt',
      local_user: undefined,
    },
  );
  assert.equal(nameFilter('*.txt'), 'name:=*.txt');
  assert.equal(nameFilter('~*.txt'), 'name:~*.txt');
  assert.equal(nameFilter('!~*.tmp'), 'name:!~*.tmp');
});

test('operationLs sends GET …/operation/endpoint/{id}/ls with the query; paginateOperationLs walks every page', async () => {
  const names = Array.from({ length: 5 }, (_, i) => `f${i}`);
  const { server, client } = await transfer((req) => {
    const offset = Number(req.url.searchParams.get('offset') ?? 0);
    const limit = Number(req.url.searchParams.get('limit') ?? 100);
    return {
      body: {
        DATA_TYPE: 'file_list',
        endpoint: EP,
        path: '/d/',
        offset,
        limit,
        total: names.length,
        length: Math.min(limit, names.length - offset),
        DATA: names.slice(offset, offset + limit).map((n) => entry(n)),
      },
    };
  });
  const page = await client.operationLs(EP, { path: '/d/', showHidden: true, filter: 'name:~f*' });
  assert.equal(page.DATA.length, 5);
  const r0 = server.requests[0];
  assert.equal(r0.method, 'GET');
  assert.equal(r0.url.pathname, `/v0.10/operation/endpoint/${EP}/ls`);
  assert.equal(r0.url.searchParams.get('path'), '/d/');
  assert.equal(r0.url.searchParams.get('show_hidden'), 'true');
  assert.equal(r0.url.searchParams.get('filter'), 'name:~f*');

  const all: string[] = [];
  for await (const e of client.paginateOperationLs(EP, { path: '/d/', limit: 2 })) all.push(e.name);
  assert.deepEqual(all, names);
  const pageOffsets = server.requests.slice(1).map((r) => r.url.searchParams.get('offset'));
  assert.deepEqual(pageOffsets, ['0', '2', '4']);
});

test('mkdir and rename POST the Transfer documents; errors are TransferAPIError', async () => {
  const { server, client } = await transfer((req) => {
    if (req.url.pathname.endsWith('/mkdir') && JSON.parse(req.body).path === '/exists')
      return { status: 409, body: { code: 'ExternalError.MkdirFailed.Exists', message: 'Path already exists', request_id: 'r1' } };
    if (req.url.pathname.endsWith('/mkdir'))
      return { body: { DATA_TYPE: 'mkdir_result', code: 'DirectoryCreated', message: 'The directory was created successfully' } };
    return { body: { DATA_TYPE: 'result', code: 'FileRenamed', message: 'File or directory renamed successfully' } };
  });
  assert.equal((await client.operationMkdir(EP, '/new dir')).code, 'DirectoryCreated');
  assert.equal(server.requests[0].method, 'POST');
  assert.equal(server.requests[0].url.pathname, `/v0.10/operation/endpoint/${EP}/mkdir`);
  assert.deepEqual(JSON.parse(server.requests[0].body), { DATA_TYPE: 'mkdir', path: '/new dir' });
  await assert.rejects(
    client.operationMkdir(EP, '/exists'),
    (e: TransferAPIError) => e instanceof TransferAPIError && e.httpStatus === 409 && e.code === 'ExternalError.MkdirFailed.Exists',
  );

  assert.equal((await client.operationRename(EP, '/a', '/b', { localUser: 'alice' })).code, 'FileRenamed');
  const rename = server.requests.at(-1)!;
  assert.equal(rename.url.pathname, `/v0.10/operation/endpoint/${EP}/rename`);
  assert.deepEqual(JSON.parse(rename.body), { DATA_TYPE: 'rename', old_path: '/a', new_path: '/b', local_user: 'alice' });
});

test('deletePaths gets a submission id and submits the delete document; taskWait polls until the task is no longer ACTIVE', async () => {
  let polls = 0;
  const { server, client } = await transfer((req) => {
    if (req.url.pathname === '/v0.10/submission_id') return { body: { DATA_TYPE: 'submission_id', value: 'sub-1' } };
    if (req.url.pathname === '/v0.10/delete')
      return { status: 202, body: { DATA_TYPE: 'delete_result', code: 'Accepted', message: 'ok', task_id: 'task-1', submission_id: 'sub-1' } };
    polls++;
    return {
      body: {
        DATA_TYPE: 'task',
        task_id: 'task-1',
        type: 'DELETE',
        status: polls < 3 ? 'ACTIVE' : 'FAILED',
        fatal_error: polls < 3 ? null : { code: 'NOT_FOUND', description: 'no such file' },
      },
    };
  });
  const submitted = await client.deletePaths(EP, ['/a', '/b/'], { recursive: true });
  assert.equal(submitted.task_id, 'task-1');
  assert.deepEqual(JSON.parse(server.requests[1].body), {
    DATA_TYPE: 'delete',
    DATA: [
      { DATA_TYPE: 'delete_item', path: '/a' },
      { DATA_TYPE: 'delete_item', path: '/b/' },
    ],
    endpoint: EP,
    recursive: true,
    submission_id: 'sub-1',
  });
  const seen: string[] = [];
  assert.equal(await client.taskWait('task-1', { timeout: 5, pollingInterval: 0.001, onPoll: (t) => seen.push(t.status) }), true);
  assert.deepEqual(seen, ['ACTIVE', 'ACTIVE', 'FAILED']);
  assert.equal(server.requests.at(-1)!.url.pathname, '/v0.10/task/task-1');
});

test('DeleteData leaves out options that were not given', () => {
  const data = new DeleteData(EP, { submissionId: 's' });
  data.addItem('/x');
  assert.deepEqual(JSON.parse(JSON.stringify(data)), {
    DATA_TYPE: 'delete',
    submission_id: 's',
    endpoint: EP,
    DATA: [{ DATA_TYPE: 'delete_item', path: '/x' }],
  });
  assert.equal(new DeleteData(EP, { ignoreMissing: true }).ignore_missing, true);
});

test("taskWait polls as the Python SDK's task_wait: timeout / interval + 1 GETs for a task that stays ACTIVE; INACTIVE ends it", async () => {
  let status = 'ACTIVE';
  const { server, client } = await transfer(() => ({ body: { DATA_TYPE: 'task', task_id: 't', status } }));
  // Binary fractions, so that the waited time adds up exactly (Python: timeout=5, polling_interval=1 → 6 GETs).
  assert.equal(await client.taskWait('t', { timeout: 0.5, pollingInterval: 0.125 }), false);
  assert.equal(server.requests.length, 5);
  status = 'INACTIVE';
  assert.equal(await client.taskWait('t', { timeout: 0.5, pollingInterval: 0.125 }), true);
  assert.equal(server.requests.length, 6);
  await assert.rejects(client.taskWait('t', { timeout: 0 }), RangeError);
});
