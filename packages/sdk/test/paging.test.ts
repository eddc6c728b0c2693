// Paging iterators (marker, offset/limit, next_token) over a real local HTTP server serving pages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BaseClient, GlobusError, type Paginator, paginateMarker } from '../src/index.ts';
import { startServer } from './helpers/server.ts';
import type { TestServer } from './helpers/server.ts';

const ITEMS = Array.from({ length: 23 }, (_, i) => ({ id: `item-${i}` }));
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function pagedServer(): Promise<TestServer> {
  const s = await startServer((req) => {
    const q = req.url.searchParams;
    if (req.url.pathname === '/api/collections') {
      // GCS style: opaque marker = index of the next item, encoded so it is clearly opaque.
      const size = Number(q.get('page_size') ?? 10);
      const start = q.has('marker') ? Number(Buffer.from(q.get('marker')!, 'base64url').toString()) : 0;
      const page = ITEMS.slice(start, start + size);
      const hasNext = start + size < ITEMS.length;
      return {
        body: {
          DATA_TYPE: 'result#1.0.0',
          code: 'success',
          has_next_page: hasNext,
          ...(hasNext ? { marker: Buffer.from(String(start + size)).toString('base64url') } : {}),
          data: page,
        },
      };
    }
    if (req.url.pathname === '/v0.10/endpoint_search') {
      const offset = Number(q.get('offset'));
      const limit = Number(q.get('limit'));
      return { body: { DATA_TYPE: 'endpoint_list', offset, limit, has_next_page: offset + limit < ITEMS.length, DATA: ITEMS.slice(offset, offset + limit) } };
    }
    if (req.url.pathname === '/tokens') {
      const start = Number(q.get('next_token') ?? 0);
      const next = start + 7 < ITEMS.length ? String(start + 7) : null;
      return { body: { things: ITEMS.slice(start, start + 7), next_token: next } };
    }
    if (req.url.pathname === '/stuck') return { body: { has_next_page: true, marker: 'same', data: [{ id: 'x' }] } };
    return { status: 404, body: { code: 'NotFound', message: req.url.pathname } };
  });
  servers.push(s);
  return s;
}

const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

test('marker paging walks every GCS page in order and forwards query params', async () => {
  const server = await pagedServer();
  const client = new BaseClient({ baseUrl: `${server.origin}/api/`, retry: false }, { serviceName: 'gcs', baseUrl: '' });
  const all = await client.paginateMarker<{ id: string }>('collections', { query: { page_size: 10, include: ['private_policies'] } }).toArray();
  assert.deepEqual(ids(all), ids(ITEMS));
  assert.equal(server.requests.length, 3);
  assert.equal(server.requests[0].url.searchParams.has('marker'), false);
  for (const r of server.requests) {
    assert.equal(r.url.searchParams.get('page_size'), '10');
    assert.equal(r.url.searchParams.get('include'), 'private_policies');
  }
});

test('pages() yields whole pages; toArray(limit) and maxPages stop early', async () => {
  const server = await pagedServer();
  const client = new BaseClient({ baseUrl: `${server.origin}/api/`, retry: false }, { serviceName: 'gcs', baseUrl: '' });
  const pages: number[] = [];
  for await (const page of client.paginateMarker('collections', { query: { page_size: 5 } }).pages()) pages.push((page.data as unknown[]).length);
  assert.deepEqual(pages, [5, 5, 5, 5, 3]);
  const before = server.requests.length;
  const first7 = await client.paginateMarker<{ id: string }>('collections', { query: { page_size: 5 } }).toArray(7);
  assert.deepEqual(ids(first7), ids(ITEMS.slice(0, 7)));
  assert.equal(server.requests.length - before, 2, 'stopped fetching once 7 items were in hand');
  const capped = await client.paginateMarker('collections', { query: { page_size: 5 }, maxPages: 2 }).toArray();
  assert.equal(capped.length, 10);
});

test('offset/limit paging (Transfer style)', async () => {
  const server = await pagedServer();
  const client = new BaseClient({ baseUrl: server.origin, retry: false }, { serviceName: 'transfer', baseUrl: '' });
  const all = await client.paginateOffset<{ id: string }>('v0.10/endpoint_search', { limit: 10, query: { filter_fulltext: 'x' } }).toArray();
  assert.deepEqual(ids(all), ids(ITEMS));
  assert.deepEqual(
    server.requests.map((r) => [r.url.searchParams.get('offset'), r.url.searchParams.get('limit'), r.url.searchParams.get('filter_fulltext')]),
    [
      ['0', '10', 'x'],
      ['10', '10', 'x'],
      ['20', '10', 'x'],
    ],
  );
});

test('next_token paging', async () => {
  const server = await pagedServer();
  const client = new BaseClient({ baseUrl: server.origin, retry: false }, { serviceName: 't', baseUrl: '' });
  const all = await client.paginateToken<{ id: string }>('tokens', { itemsKey: 'things' }).toArray();
  assert.deepEqual(ids(all), ids(ITEMS));
  assert.deepEqual(
    server.requests.map((r) => r.url.searchParams.get('next_token')),
    [null, '7', '14', '21'],
  );
});

test('a repeated marker stops with an error instead of looping forever', async () => {
  const server = await pagedServer();
  const client = new BaseClient({ baseUrl: server.origin, retry: false }, { serviceName: 't', baseUrl: '' });
  await assert.rejects(client.paginateMarker('stuck').toArray(), GlobusError);
  assert.equal(server.requests.length, 2);
});

test('errors on a later page propagate from the iterator', async () => {
  let calls = 0;
  type Page = { data: number[]; has_next_page: boolean; marker: string };
  const p: Paginator<Page, number, string> = paginateMarker<Page, number>({
    fetchPage: async (marker) => {
      calls++;
      if (marker) throw new Error('page 2 failed');
      return { data: [1, 2], has_next_page: true, marker: 'm2' };
    },
  });
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of p) seen.push(n);
  }, /page 2 failed/);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(calls, 2);
});
