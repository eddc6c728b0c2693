// Data-plane test world: real local accounts (useradd), a real directory tree, a gateway mapping test clients to those accounts, a mapped and a guest collection.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { clientCredentials, makeClient, type TestServer } from './server.ts';
import { api, dataAccess, grantRole, makeActor, manageScope, subscribeEndpoint, type Actor, POSIX } from './gcs.ts';

export const isRoot = process.getuid?.() === 0;
export const TRANSFER = 'urn:globus:auth:scope:transfer.api.globus.org:all';
export const httpsScope = (collectionId: string) => `https://auth.globus.org/scopes/${collectionId}/https`;

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface LocalAccount {
  name: string;
  uid: number;
  gid: number;
}

/** Real accounts with random names (the connector refuses uid 0, so tests cannot act as root). */
export function createAccounts(labels: string[]): LocalAccount[] {
  const tag = randomBytes(3).toString('hex');
  const made: LocalAccount[] = [];
  try {
    for (const label of labels) {
      const name = `gh${label}_${tag}`;
      sh('useradd', ['-m', '-U', '-s', '/usr/sbin/nologin', name]);
      made.push({ name, uid: Number(sh('id', ['-u', name]).trim()), gid: Number(sh('id', ['-g', name]).trim()) });
    }
  } catch (error) {
    removeAccounts(made);
    throw error;
  }
  return made;
}

export function removeAccounts(accounts: LocalAccount[]): void {
  for (const { name } of accounts) {
    // Workers of the account may still be exiting; -f removes it regardless.
    try {
      sh('userdel', ['-r', name]);
    } catch {
      try {
        sh('userdel', ['-f', '-r', name]);
      } catch {}
    }
  }
}

/** Writes a file (parents made as needed) owned by `owner`, mode `mode`. */
export function plant(root: string, rel: string, content: string, owner: LocalAccount, mode = 0o644): string {
  const file = path.join(root, rel);
  mkdirOwned(root, path.dirname(rel), owner);
  fs.writeFileSync(file, content);
  fs.chownSync(file, owner.uid, owner.gid);
  fs.chmodSync(file, mode);
  return file;
}

/** Makes every missing directory of `rel` under `root`, owned by `owner` (0755). */
export function mkdirOwned(root: string, rel: string, owner: LocalAccount, mode = 0o755): string {
  let current = root;
  for (const part of rel.split('/').filter(Boolean)) {
    current = path.join(current, part);
    if (!fs.existsSync(current)) {
      fs.mkdirSync(current);
      fs.chownSync(current, owner.uid, owner.gid);
      fs.chmodSync(current, mode);
    }
  }
  return current;
}

/** A literal `{id}` mapping per client: the gateway maps exactly these identities to these accounts. */
export function literalMappings(pairs: Array<[clientId: string, account: string]>) {
  return [
    { DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings: pairs.map(([id, account]) => ({ source: '{id}', match: id, output: account, literal: true })) },
  ];
}

export interface DataWorld {
  root: string;
  accounts: { owner: LocalAccount; alice: LocalAccount; other: LocalAccount };
  admin: Actor;
  /** guest creator, mapped to accounts.owner, holds the credential */
  owner: Actor;
  /** mapped to accounts.alice */
  alice: Actor;
  /** mapped to accounts.other */
  other: Actor;
  /** no mapping: reaches guests only through ACLs */
  bob: Actor;
  carol: Actor;
  gatewayId: string;
  mappedId: string;
  guestId: string;
  credentialId: string;
  cleanup(): void;
}

export interface WorldOptions {
  gatewayExtra?: (root: string) => Record<string, unknown>;
  mappedExtra?: (root: string) => Record<string, unknown>;
  /** the guest's base path, relative to the mapped root */
  guestBase?: string;
  /** builds the tree before collections are created (the guest base must exist) */
  tree?: (root: string, accounts: DataWorld['accounts']) => void;
}

/**
 * The whole set-up through the public APIs: endpoint admin, subscription, gateway with literal mappings,
 * mapped collection on a fresh root, the owner's credential, and a guest collection on `guestBase`.
 */
export async function makeWorld(server: TestServer, options: WorldOptions = {}): Promise<DataWorld> {
  const [owner, alice, other] = createAccounts(['own', 'ali', 'oth']);
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-data-')));
  fs.chmodSync(root, 0o755);
  const accounts = { owner, alice, other };
  const cleanup = () => {
    fs.rmSync(root, { recursive: true, force: true });
    removeAccounts([owner, alice, other]);
  };
  try {
    const guestBase = options.guestBase ?? '/shared';
    mkdirOwned(root, guestBase, owner);
    options.tree?.(root, accounts);
    const admin = await makeActor(server, 'data admin');
    await grantRole(server, admin.id, 'administrator');
    await subscribeEndpoint(server, admin);
    const ownerClient = await makeClient(server, 'guest owner');
    const aliceClient = await makeClient(server, 'alice');
    const otherClient = await makeClient(server, 'other');
    const sg = await api(server, admin.token, 'POST', '/api/storage_gateways', {
      DATA_TYPE: 'storage_gateway#1.0.0',
      display_name: 'Data FS',
      connector_id: POSIX,
      identity_mappings: literalMappings([
        [ownerClient.id, owner.name],
        [aliceClient.id, alice.name],
        [otherClient.id, other.name],
      ]),
      ...options.gatewayExtra?.(root),
    });
    assert.equal(sg.status, 201, JSON.stringify(sg.body));
    const gatewayId = sg.body.data[0].id as string;
    const mapped = await api(server, admin.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'mapped',
      display_name: 'Data mapped',
      storage_gateway_id: gatewayId,
      collection_base_path: root,
      public: true,
      allow_guest_collections: true,
      ...options.mappedExtra?.(root),
    });
    assert.equal(mapped.status, 201, JSON.stringify(mapped.body));
    const mappedId = mapped.body.data[0].id as string;
    const ownerToken = (await clientCredentials(server, ownerClient, manageScope(server, dataAccess(mappedId)))).access_token as string;
    const ownerActor: Actor = { ...ownerClient, token: ownerToken, username: `${ownerClient.id}@clients.auth.globus.org` };
    const cred = await api(server, ownerToken, 'POST', '/api/user_credentials', {
      DATA_TYPE: 'user_credential#1.0.0',
      storage_gateway_id: gatewayId,
      username: owner.name,
    });
    assert.equal(cred.status, 201, JSON.stringify(cred.body));
    const guest = await api(server, ownerToken, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'guest',
      display_name: 'Data guest',
      public: true,
      collection_base_path: guestBase,
      mapped_collection_id: mappedId,
    });
    assert.equal(guest.status, 201, JSON.stringify(guest.body));
    const actor = async (client: { id: string; secret: string }): Promise<Actor> => ({
      ...client,
      token: (await clientCredentials(server, client, manageScope(server))).access_token as string,
      username: `${client.id}@clients.auth.globus.org`,
    });
    return {
      root,
      accounts,
      admin,
      owner: ownerActor,
      alice: await actor(aliceClient),
      other: await actor(otherClient),
      bob: await makeActor(server, 'bob'),
      carol: await makeActor(server, 'carol'),
      gatewayId,
      mappedId,
      guestId: guest.body.data[0].id as string,
      credentialId: cred.body.data[0].id as string,
      cleanup,
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** An HTTPS data token for a collection: `https`, plus `data_access` where the collection needs it. */
export async function dataToken(server: TestServer, client: { id: string; secret: string }, collectionId: string, withDataAccess: boolean): Promise<string> {
  const scope = withDataAccess ? `${httpsScope(collectionId)} ${dataAccess(collectionId)}` : httpsScope(collectionId);
  return (await clientCredentials(server, client, scope)).access_token as string;
}

/** A Transfer token, with the collection's data_access consent as a dependency when given. */
export async function transferToken(server: TestServer, client: { id: string; secret: string }, dataAccessOn?: string): Promise<string> {
  const scope = dataAccessOn ? `${TRANSFER}[${dataAccess(dataAccessOn)}]` : TRANSFER;
  return (await clientCredentials(server, client, scope)).access_token as string;
}

/** Creates an access rule on the guest through the Transfer API as `manager`. */
export async function addRule(
  server: TestServer,
  manager: { id: string; secret: string },
  guestId: string,
  rule: { principal_type: string; principal?: string; path: string; permissions: 'r' | 'rw' },
): Promise<string> {
  const token = await transferToken(server, manager);
  const res = await api(server, token, 'POST', `/v0.10/endpoint/${guestId}/access`, { DATA_TYPE: 'access', principal: '', ...rule });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.access_id as string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/** A request with the path sent exactly as given: fetch would normalise `..` away. */
export function rawRequest(
  server: TestServer,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers, ca: server.ca, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
