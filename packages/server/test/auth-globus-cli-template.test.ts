// The real globus-cli's `globus login` still makes its native app instance without a token, and signs a person in through it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { startTestServer, makeUser, basic, postForm, signIn, getJson, storeName, type TestServer } from './helpers/server.ts';
import { CLIENTS, globusEnv, realClientsSkip } from './helpers/real-clients.ts';

const SCOPES =
  'openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set urn:globus:auth:scope:transfer.api.globus.org:all urn:globus:auth:scope:groups.api.globus.org:all';
const children: ChildProcess[] = [];

/** Runs a shell command with the real clients on the paths (env.sh), as a person at a terminal would. */
function globus(args: string, env: Record<string, string>) {
  return spawn('bash', ['-c', `. "${CLIENTS}/env.sh" && exec globus ${args}`], { env, stdio: 'pipe' });
}

/** One value from globus-cli's SQLite storage under $HOME. */
function cliStorage(home: string, query: string): string {
  const file = fs
    .readdirSync(path.join(home, '.globus', 'cli'), { recursive: true })
    .map(String)
    .find((f) => f.endsWith('storage.db'));
  assert.ok(file, 'globus-cli wrote its storage');
  const db = new DatabaseSync(path.join(home, '.globus', 'cli', file), { readOnly: true });
  try {
    return (db.prepare(query).get() as { v: string }).v;
  } finally {
    db.close();
  }
}

describe(`globus-cli's template call (${storeName})`, { skip: realClientsSkip }, () => {
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer();
    await makeUser(server, 'alice@localhost', 'alice-password-1');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-globus-cli-'));
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...globusEnv(server, home) };
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill();
    await server?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('`globus session consent --no-local-server` makes an instance unauthenticated and completes the sign-in', async () => {
    // `globus login` asks for every Globus service (Search, Timers, Flows too); `session consent` runs the same
    // flow (same instance, same template call) for the services Gatehouse has.
    const child = globus(`session consent --no-local-server ${SCOPES}`, env);
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /https:\/\/\S+\/v2\/oauth2\/authorize\?\S+/.exec(stdout);
        if (m) resolve(m[0]);
      });
      exited.then((code) => reject(new Error(`globus login exited ${code} before printing a URL\nstdout: ${stdout}\nstderr: ${stderr}`)));
    });
    const params = Object.fromEntries(new URL(url).searchParams);
    // The instance exists now, made by the CLI's unauthenticated POST /v2/api/clients.
    const instances = await server.store.db.selectFrom('clients').selectAll().where('template_id', 'is not', null).execute();
    assert.equal(instances.length, 1);
    assert.equal(instances[0].id, params.client_id);

    const posted = await signIn(server, params, 'alice', 'alice-password-1');
    assert.equal(posted.status, 302, await posted.text());
    const code = new URL(posted.headers.get('location')!).searchParams.get('code');
    child.stdin.end(`${code}\n`);
    const status = await exited;
    assert.equal(status, 0, `globus login failed\nstdout: ${stdout}\nstderr: ${stderr}`);
    assert.match(stdout, /successfully updated your CLI session/i);

    // The person's tokens the CLI stored act for alice.
    const { access_token } = JSON.parse(cliStorage(home, "select token_data_json as v from token_storage where resource_server = 'auth.globus.org'")) as {
      access_token: string;
    };
    const who = await getJson(server, '/v2/oauth2/userinfo', access_token);
    assert.equal(who.status, 200);
    assert.equal(who.body.preferred_username, 'alice@localhost');
  });

  it('the instance the CLI keeps cannot get a token for itself', async () => {
    // globus-cli keeps the instance's credentials in its storage.
    const data = cliStorage(home, "select config_data_json as v from config_storage where config_name = 'auth_client_data'");
    const { client_id, client_secret } = JSON.parse(data) as { client_id: string; client_secret: string };
    const refused = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'client_credentials', scope: 'openid' },
      { authorization: basic(client_id, client_secret) },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'unauthorized_client');
  });
});
