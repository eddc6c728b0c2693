// The Data service plugin: the POSIX connectors (shared with the Transfer file operations) and the HTTPS data routes under /data.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { tuneHeapForUploads } from './gc.ts';
import { createPosixConnectors, type PosixConnectors } from './posix/index.ts';
import { httpsDataRoutes } from './routes.ts';
import { browserLoginRoutes } from './browser-session.ts';
import { sandboxActiveContent } from './sandbox.ts';

// One factory per running server: its worker pools are per local account, and Transfer operations reuse them.
const shared = new WeakMap<ServiceContext, Promise<PosixConnectors>>();

/** The server's POSIX connectors, created on first use (normally at data-plugin start). */
export function dataConnectors(ctx: ServiceContext): Promise<PosixConnectors> {
  let connectors = shared.get(ctx);
  if (!connectors) {
    connectors = createPosixConnectors({ stateDir: path.join(ctx.config.dataDir, 'data-state') });
    shared.set(ctx, connectors);
  }
  return connectors;
}

export async function dataService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  tuneHeapForUploads();
  await dataConnectors(ctx);
  // Graceful shutdown waits for in-flight requests, then reaps the per-account workers.
  app.addHook('onClose', async () => {
    const connectors = shared.get(ctx);
    shared.delete(ctx);
    await (await connectors)?.close();
  });
  sandboxActiveContent(app);
  await httpsDataRoutes(app, ctx, () => dataConnectors(ctx));
  await browserLoginRoutes(app, ctx);
}
