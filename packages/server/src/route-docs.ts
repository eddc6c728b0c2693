// docs/routes.md from a real app: builds one on a throw-away SQLite store and renders its route table.
import { buildApp } from './app.ts';
import { ensureInitialized, openStore } from './bootstrap.ts';
import { resolveConfig } from './config.ts';
import { routeTable, routeTableMarkdown } from './http/route-table.ts';

/** The Markdown of docs/routes.md as the code stands; `dataDir` is an empty scratch directory. */
export async function routeDocument(dataDir: string): Promise<string> {
  const config = resolveConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir }, {});
  const store = await openStore(config);
  try {
    await ensureInitialized(store, config);
    const app = await buildApp({ config, store, clock: Date.now }, { logger: false, recordRoutes: true });
    await app.ready();
    const markdown = routeTableMarkdown(routeTable(app));
    await app.close();
    return markdown;
  } finally {
    await store.close();
  }
}
