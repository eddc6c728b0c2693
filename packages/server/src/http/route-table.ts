// The route table: every route the app registers, with the source file whose code registered it (docs/routes.md).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  /** the registering file, relative to packages/server/src */
  file: string;
}

const SRC = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SELF = fileURLToPath(import.meta.url);

/** The first stack frame in our own sources, other than this file: the module that called `app.get(…)` and the like. */
function registeringFile(): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  for (const line of holder.stack?.split('\n') ?? []) {
    const match = /(file:\/\/[^\s)]+?):\d+:\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const file = fileURLToPath(match[1]);
    if (file !== SELF && file.startsWith(SRC + path.sep)) return path.relative(SRC, file).split(path.sep).join('/');
  }
  return undefined;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Records every route registered on `app` and its child scopes from now on; call before the services register. */
export function recordRoutes(app: FastifyInstance): void {
  const entries: RouteEntry[] = [];
  const getHandlers = new Map<string, unknown>();
  tables.set(app, entries);
  app.addHook('onRoute', (route) => {
    const file = registeringFile() ?? '?';
    // Fastify adds a HEAD for every GET on its own, with the GET's handler: not a route anyone wrote.
    if (route.method === 'HEAD' && getHandlers.get(route.url) === route.handler) return;
    if ([route.method].flat().includes('GET')) getHandlers.set(route.url, route.handler);
    for (const method of [route.method].flat()) entries.push({ method, url: route.url, file });
  });
}

/** The routes recorded on `app`, sorted by URL then method. */
export function routeTable(app: FastifyInstance): RouteEntry[] {
  const entries = tables.get(app) ?? [];
  return [...entries].sort((a, b) => (a.url === b.url ? a.method.localeCompare(b.method) : a.url.localeCompare(b.url)));
}

/** docs/routes.md: the table as Markdown, one section per URL prefix. */
export function routeTableMarkdown(entries: RouteEntry[]): string {
  const lines = [
    '# Routes',
    '',
    'Every route the server registers and the file (under `packages/server/src/`) that handles it. Generated',
    'from the running app by `npm run docs:routes`; a test fails when this file is stale. Every GET also answers',
    'HEAD; a HEAD listed is a handler of its own.',
    '',
    '| method | path | file |',
    '|---|---|---|',
  ];
  for (const e of entries) lines.push(`| ${e.method} | \`${e.url}\` | \`${e.file}\` |`);
  return `${lines.join('\n')}\n`;
}
