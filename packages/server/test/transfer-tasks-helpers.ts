// Task-route test world: the data world (real accounts, mapped + guest collections) plus a second mapped collection, Transfer tokens with data_access consents, and submission helpers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from './helpers/server.ts';
import { clientCredentials } from './helpers/server.ts';
import { api, dataAccess } from './helpers/gcs.ts';
import { makeWorld, mkdirOwned, plant, TRANSFER, type DataWorld } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';

export interface TaskWorld extends DataWorld {
  /** a second mapped collection on the same gateway, rooted at `<root>/second` */
  secondId: string;
}

export async function makeTaskWorld(server: TestServer): Promise<TaskWorld> {
  const world = await makeWorld(server, {
    tree: (root, { owner, alice }) => {
      plant(root, 'alice/one.txt', '1', alice);
      plant(root, 'alice/two.txt', '22', alice);
      mkdirOwned(root, 'alice/dir', alice);
      plant(root, 'shared/docs/a.txt', 'aaaa', owner);
      mkdirOwned(root, 'second', alice);
    },
  });
  const second = await api(server, world.admin.token, 'POST', '/api/collections', {
    DATA_TYPE: 'collection#1.2.0',
    collection_type: 'mapped',
    display_name: 'Second mapped',
    storage_gateway_id: world.gatewayId,
    collection_base_path: `${world.root}/second`,
    public: true,
  });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  return { ...world, secondId: second.body.data[0].id as string };
}

/** A Transfer token whose transfer:all carries the data_access consents of these collections. */
export async function tokenFor(server: TestServer, client: { id: string; secret: string }, ...consents: string[]): Promise<string> {
  const scope = consents.length ? `${TRANSFER}[${consents.map(dataAccess).join(' ')}]` : TRANSFER;
  return (await clientCredentials(server, client, scope)).access_token as string;
}

export function transferDoc(source: string, destination: string, items: Array<[string, string]>, extra: Record<string, unknown> = {}) {
  return {
    DATA_TYPE: 'transfer',
    submission_id: randomUUID(),
    source_endpoint: source,
    destination_endpoint: destination,
    DATA: items.map(([s, d]) => ({ DATA_TYPE: 'transfer_item', source_path: s, destination_path: d })),
    ...extra,
  };
}

export function deleteDoc(endpoint: string, paths: string[], extra: Record<string, unknown> = {}) {
  return { DATA_TYPE: 'delete', submission_id: randomUUID(), endpoint, DATA: paths.map((path) => ({ DATA_TYPE: 'delete_item', path })), ...extra };
}

/** Polls GET /task/{id} until the task leaves ACTIVE (what `globus task wait` does) and returns its document. */
export async function waitForTask(server: TestServer, token: string, taskId: string, { everyMs = 50, timeoutMs = 30_000 } = {}): Promise<any> {
  let last: any;
  try {
    return await eventually(
      async () => {
        const res = await api(server, token, 'GET', `/v0.10/task/${taskId}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        last = res.body;
        return res.body.status !== 'ACTIVE' ? res.body : undefined;
      },
      `task ${taskId} completes`,
      { timeoutMs, everyMs },
    );
  } catch (error) {
    // Say where it stood: its document and latest events.
    const events = await api(server, token, 'GET', `/v0.10/task/${taskId}/event_list?limit=5`);
    throw new Error(`${(error as Error).message}\ntask: ${JSON.stringify(last)}\nevents: ${JSON.stringify(events.body.DATA)}`, { cause: error });
  }
}

export async function taskCount(server: TestServer): Promise<number> {
  const rows = await server.store.db.selectFrom('transfer_tasks').select('task_id').execute();
  return rows.length;
}
