// `gatehouse ls|mkdir|rename|rm` (Transfer file operations) and `get|put` (a collection's HTTPS data plane, with progress and resume), globus-cli style.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import {
  CollectionHTTPSAPIError,
  CollectionHTTPSClient,
  GCSCollectionScopes,
  nameFilter,
  type FileInfo,
  type TransferClient,
  type TransferFileEntry,
  type TransferFileList,
} from '@gatehouse/sdk';
import { CliError, formatOf, humanBytes, print, table } from '../output.ts';
import { withSession, type Session } from '../session.ts';
import { consentError, dataAccessTransferClient } from './collection-consent.ts';
import { waitForTask } from './task-wait.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Command names for main.ts's fast start (they only talk HTTP). */
export const DATA_COMMAND_NAMES = ['ls', 'mkdir', 'rename', 'rm', 'get', 'put'] as const;

interface Target {
  collectionId: string;
  /** As typed; undefined when only the id was given. */
  path: string | undefined;
}

/** globus-cli's `ENDPOINT_ID[:PATH]`. */
export function parseTarget(value: string, requirePath: boolean): Target {
  const colon = value.indexOf(':');
  const id = colon < 0 ? value : value.slice(0, colon);
  const p = colon < 0 ? undefined : value.slice(colon + 1);
  if (!UUID_RE.test(id)) throw new CliError(`Expected COLLECTION_ID${requirePath ? ':PATH' : '[:PATH]'}, got ${value}`, 2);
  if (requirePath && !p) throw new CliError(`Expected COLLECTION_ID:PATH, got ${value} (no path)`, 2);
  return { collectionId: id.toLowerCase(), path: p === '' ? undefined : p };
}

/** Collection paths are absolute; a relative one is taken from the collection root, as the data plane does. */
const absolute = (p: string) => (p.startsWith('/') ? p : `/${p}`);

/** Runs a file operation with a client for the collection, translating consent errors. */
function withOperations<T>(cmd: Command, collectionId: string, fn: (transfer: TransferClient) => Promise<T>): Promise<T> {
  return withSession(cmd, async (session) => {
    try {
      return await fn(await dataAccessTransferClient(session, [collectionId]));
    } catch (error) {
      throw consentError(cmd, error, [collectionId], session);
    }
  });
}

/**
 * The collection's HTTPS client: `https_server` from the Transfer record, a token for the collection's
 * resource server (`https`, plus `data_access` on a non-HA mapped collection, as the Python SDK's
 * downloader decides).
 */
async function dataClient(session: Session, collectionId: string): Promise<CollectionHTTPSClient> {
  const record = await session.transferClient().getEndpoint(collectionId);
  if (!record.https_server) throw new CliError(`Collection ${collectionId} offers no HTTPS access (its https_server is empty)`);
  return new CollectionHTTPSClient(record.https_server, {
    transport: session.transport,
    authorizer: session.collectionAuthorizer(collectionId, httpsScopes(collectionId, record)),
  });
}

/** The scopes of a token for a collection's HTTPS data plane: `https`, plus `data_access` on a non-HA mapped collection. */
export function httpsScopes(collectionId: string, record: { entity_type?: string | null; high_assurance?: boolean | null }): string[] {
  const scopes = GCSCollectionScopes(collectionId);
  const wanted = [String(scopes.https)];
  if (record.entity_type === 'GCSv5_mapped_collection' && !record.high_assurance) wanted.push(String(scopes.data_access));
  return wanted;
}

/** A data-plane refusal in the user's terms, with the way out when it is about the token. */
function dataError(cmd: Command, error: unknown, collectionId: string, session: Session): unknown {
  if (!(error instanceof CollectionHTTPSAPIError) || formatOf(cmd) === 'json') return error;
  const lines = [`Error: ${error.message}`, `HTTP status: ${error.httpStatus}`];
  if (error.code) lines.push(`code: ${error.code}`);
  const scopes = error.authorizationParameters?.requiredScopes;
  if (error.httpStatus === 401) {
    if (scopes?.length) lines.push(`required scopes: ${scopes.join(' ')}`);
    if (session.credentials.kind === 'user') lines.push(`Hint: run \`gatehouse login --collection ${collectionId}\``);
  }
  return new CliError(lines.join('\n').replace(/^Error: /, ''));
}

// ---- progress -----------------------------------------------------------------------------------

interface Progress {
  start(total: number | undefined, value: number): void;
  update(value: number): void;
  stop(): void;
}

/** A byte progress bar on stderr, only for a terminal or with --progress (then also to a pipe, at a slower pace). */
function progressBar(flag: boolean | undefined, label: string): Progress {
  const tty = process.stderr.isTTY === true;
  if (!(flag === true || (flag !== false && tty))) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {done} / {all} | {rate}`,
      barsize: 30,
      hideCursor: tty,
      noTTYOutput: !tty,
      notTTYSchedule: 1000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let began = 0;
  let first = 0;
  let total: number | undefined;
  let running = false;
  const payload = (value: number) => {
    const seconds = (Date.now() - began) / 1000;
    const rate = seconds > 0 ? `${humanBytes(Math.round((value - first) / seconds))}/s` : '';
    return { done: humanBytes(value), all: total === undefined ? '?' : humanBytes(total), rate };
  };
  return {
    start(t, value) {
      total = t;
      began = Date.now();
      first = value;
      running = true;
      // cli-progress needs a positive total; an unknown size shows a bar that never fills.
      bar.start(t && t > 0 ? t : Math.max(1, value), value, payload(value));
    },
    update(value) {
      if (running) bar.update(total === undefined ? Math.min(value, bar.getTotal()) : value, payload(value));
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

// ---- ls, mkdir, rename, rm ----------------------------------------------------------------------

function lsText(entries: TransferFileEntry[], long: boolean): string {
  if (!long) return entries.map((e) => (e.type === 'dir' ? `${e.name}/` : e.name)).join('\n');
  const rows = entries.map((e) => ({
    Permissions: e.permissions,
    User: e.user,
    Group: e.group,
    Size: e.size,
    'Last Modified': e.last_modified,
    'File Type': e.type,
    Filename: e.type === 'dir' ? `${e.name}/` : e.name,
  }));
  return table(rows, ['Permissions', 'User', 'Group', 'Size', 'Last Modified', 'File Type', 'Filename']);
}

function lsCommand(): Command {
  return new Command('ls')
    .description('list a directory of a collection (Transfer ls)')
    .argument('<collection_path>', "COLLECTION_ID[:PATH] (default: the collection's default directory)")
    .option('-l, --long', 'permissions, owner, size, modification time and type')
    .option('-a, --all', 'include files and directories whose names start with "."')
    .option('--filter <pattern>', 'only names matching: =NAME, ~GLOB, !NAME, !~GLOB (a bare pattern is =)')
    .action(async (arg: string, opts, cmd: Command) => {
      const target = parseTarget(arg, false);
      await withOperations(cmd, target.collectionId, async (transfer) => {
        const pager = transfer.paginateOperationLs(target.collectionId, {
          path: target.path === undefined ? undefined : absolute(target.path),
          showHidden: opts.all === true,
          filter: opts.filter ? nameFilter(opts.filter) : undefined,
        });
        let first: TransferFileList | undefined;
        const entries: TransferFileEntry[] = [];
        for await (const page of pager.pages()) {
          first ??= page;
          entries.push(...page.DATA);
        }
        // JSON: one file_list document holding every entry, whatever the page size was.
        const doc = { ...first!, DATA: entries, length: entries.length };
        delete (doc as Record<string, unknown>).offset;
        delete (doc as Record<string, unknown>).limit;
        delete (doc as Record<string, unknown>).has_next_page;
        print(cmd, doc, () => lsText(entries, opts.long === true));
      });
    });
}

function mkdirCommand(): Command {
  return new Command('mkdir')
    .description('make a directory on a collection (its parent must exist)')
    .argument('<collection_path>', 'COLLECTION_ID:PATH')
    .action(async (arg: string, _opts, cmd: Command) => {
      const target = parseTarget(arg, true);
      await withOperations(cmd, target.collectionId, async (transfer) => {
        const result = await transfer.operationMkdir(target.collectionId, absolute(target.path!));
        print(cmd, result, (r) => r.message ?? 'The directory was created successfully');
      });
    });
}

function renameCommand(): Command {
  return new Command('rename')
    .description('rename or move a file or directory within a collection')
    .argument('<collection_id>')
    .argument('<source>', 'path on the collection')
    .argument('<destination>', 'new path on the same collection')
    .action(async (id: string, source: string, destination: string, _opts, cmd: Command) => {
      const { collectionId } = parseTarget(id, false);
      await withOperations(cmd, collectionId, async (transfer) => {
        const result = await transfer.operationRename(collectionId, absolute(source), absolute(destination));
        print(cmd, result, (r) => r.message ?? 'File or directory renamed successfully');
      });
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .description('delete a file or directory on a collection (a Transfer delete task, waited for)')
    .argument('<collection_path>', 'COLLECTION_ID:PATH')
    .option('-r, --recursive', 'delete directories and their contents')
    .option('-f, --ignore-missing', 'a path that does not exist is not an error')
    .addOption(new Option('--timeout <seconds>', 'give up waiting after this long (the task goes on)').argParser(Number).default(600))
    .action(async (arg: string, opts, cmd: Command) => {
      const target = parseTarget(arg, true);
      const p = absolute(target.path!);
      if (p.replace(/\/+$/, '') === '') throw new CliError('Refusing to delete the root of a collection', 2);
      await withOperations(cmd, target.collectionId, async (transfer) => {
        const submitted = await transfer.deletePaths(target.collectionId, [p], {
          recursive: opts.recursive === true,
          ignoreMissing: opts.ignoreMissing === true,
          label: `gatehouse rm ${p}`,
        });
        const { task, timedOut } = await waitForTask(transfer, submitted.task_id, { timeout: opts.timeout, pollingInterval: 1, progress: false });
        if (task.status === 'FAILED') {
          const why = task.fatal_error ? `${task.fatal_error.description} (${task.fatal_error.code})` : (task.nice_status ?? 'failed');
          throw new CliError(formatOf(cmd) === 'json' ? JSON.stringify(task, null, 2) : `Delete task ${task.task_id} failed: ${why}`);
        }
        if (timedOut || task.status !== 'SUCCEEDED')
          throw new CliError(`Delete task ${task.task_id} is still ${task.status} after ${opts.timeout} s; check it later`);
        print(cmd, task, (t) => `Deleted ${p} (task ${t.task_id})`);
      });
    });
}

// ---- get, put -----------------------------------------------------------------------------------

function getCommand(): Command {
  return new Command('get')
    .description('download a file from a collection over HTTPS')
    .argument('<collection_path>', 'COLLECTION_ID:PATH of a file')
    .argument('[local]', "local file or directory, or - for stdout (default: the file's name here)")
    .option('--resume', 'continue a partial local copy (default when the local file exists and is smaller)')
    .option('--no-resume', 'always download the whole file')
    .option('--progress', 'show a progress bar even when stderr is not a terminal')
    .option('--no-progress', 'never show a progress bar')
    .action(async (arg: string, local: string | undefined, opts, cmd: Command) => {
      const target = parseTarget(arg, true);
      const remote = absolute(target.path!);
      const name = path.posix.basename(remote);
      if (!name) throw new CliError(`${arg} names a directory; give a file path`, 2);
      let file = local ?? name;
      if (file !== '-' && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, name);

      await withSession(cmd, async (session) => {
        const client = await dataClient(session, target.collectionId);
        const bar = progressBar(opts.progress, name);
        try {
          if (file === '-') {
            const res = await client.download(remote, { onProgress: (n) => bar.update(n) });
            bar.start(res.size, 0);
            await pipeline(Readable.fromWeb(res.stream as NodeReadableStream), process.stdout);
            bar.stop();
            return;
          }
          let resume = opts.resume === true;
          let ifRange: string | undefined;
          if (opts.resume === undefined && fs.existsSync(file)) {
            const localSize = fs.statSync(file).size;
            const info: FileInfo = await client.head(remote);
            if (localSize > 0 && info.size !== undefined && localSize < info.size) {
              resume = true;
              ifRange = info.etag && !info.etag.startsWith('W/') ? info.etag : info.lastModified;
            }
          }
          const result = await client.downloadToFile(remote, file, {
            resume,
            ifRange: resume && opts.resume === undefined ? (ifRange ?? null) : undefined,
            onStart: ({ offset, size }) => bar.start(size, offset),
            onProgress: (n) => bar.update(n),
          });
          bar.stop();
          const out = {
            collection_id: target.collectionId,
            path: remote,
            file: path.resolve(file),
            size: result.size,
            received: result.received,
            resumed_from: result.offset,
            already_complete: result.alreadyComplete,
            etag: result.etag ?? null,
          };
          print(cmd, out, (r) =>
            r.already_complete
              ? `${r.file} is already complete (${humanBytes(r.size)})`
              : `Downloaded ${target.collectionId}:${remote} to ${r.file} (${humanBytes(r.size)}${r.resumed_from ? `, resumed at ${humanBytes(r.resumed_from)}` : ''})`,
          );
        } catch (error) {
          throw dataError(cmd, error, target.collectionId, session);
        } finally {
          bar.stop();
        }
      });
    });
}

function putCommand(): Command {
  return new Command('put')
    .description('upload a local file to a collection over HTTPS (creates or replaces the file)')
    .argument('<local>', 'local file')
    .argument('<collection_path>', 'COLLECTION_ID:PATH (a path ending in / means: into that directory, same name)')
    .option('--progress', 'show a progress bar even when stderr is not a terminal')
    .option('--no-progress', 'never show a progress bar')
    .action(async (local: string, arg: string, opts, cmd: Command) => {
      const target = parseTarget(arg, true);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(local);
      } catch {
        throw new CliError(`No such local file: ${local}`, 2);
      }
      if (!stat.isFile()) throw new CliError(`${local} is not a regular file`, 2);
      let remote = absolute(target.path!);
      if (remote.endsWith('/')) remote += path.basename(local);

      await withSession(cmd, async (session) => {
        const client = await dataClient(session, target.collectionId);
        const bar = progressBar(opts.progress, path.basename(local));
        try {
          bar.start(stat.size, 0);
          const result = await client.uploadFile(remote, local, { onProgress: (n) => bar.update(n) });
          bar.stop();
          const out = { collection_id: target.collectionId, path: remote, size: result.sent, created: result.created, etag: result.etag ?? null };
          print(cmd, out, (r) => `Uploaded ${local} to ${target.collectionId}:${remote} (${humanBytes(r.size)}${r.created ? ', new file' : ', replaced'})`);
        } catch (error) {
          throw dataError(cmd, error, target.collectionId, session);
        } finally {
          bar.stop();
        }
      });
    });
}

/** The data commands, for main.ts to register at the top level. */
export function dataCommands(): Command[] {
  return [lsCommand(), mkdirCommand(), renameCommand(), rmCommand(), getCommand(), putCommand()];
}
