// `gatehouse serve`: opens the store, sets up TLS and the endpoint, listens, and shuts down gracefully.
import type { ServerConfig } from './config.ts';
import { buildApp, type App } from './app.ts';
import { ensureInitialized, openStore, type FirstStart } from './bootstrap.ts';
import { loadTls } from './tls.ts';
import type { Store } from './store/db.ts';
import type { DestinationStream } from 'pino';

export interface RunningServer {
  app: App;
  store: Store;
  url: string;
  caPath?: string;
  firstStart: FirstStart;
  close(): Promise<void>;
}

export interface StartOptions {
  /** false: no request log */
  logger?: boolean;
  logStream?: DestinationStream;
  /** milliseconds since the epoch; tests move it to step through sign-in backoff */
  clock?: () => number;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const store = await openStore(config);
  try {
    const firstStart = await ensureInitialized(store, config);
    const tls = await loadTls(config);
    const app = await buildApp({ config, store, clock: options.clock ?? Date.now }, { tls, logger: options.logger, logStream: options.logStream });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    // With --port 0 the bound port is known only now; every route reads publicUrl per request.
    if (!config.publicUrlExplicit) config.publicUrl = config.publicUrl.replace(/:\d+$/, `:${port}`);
    let closed: Promise<void> | undefined;
    return {
      app,
      store,
      url: `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      caPath: tls.caPath,
      firstStart,
      // In-flight requests finish (Fastify closes the listener and waits), then the store closes.
      close: () => (closed ??= app.close().then(() => store.close())),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
