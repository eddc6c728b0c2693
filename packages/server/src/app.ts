// Builds the one HTTPS origin that serves every API: Auth, Groups, GCS Manager, Transfer shim, data.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceContext } from './context.ts';
import { registerMetrics } from './http/metrics.ts';
import { loggerOptions } from './http/logging.ts';
import { useValidation } from './http/validation.ts';
import { useBoundedJson } from './http/json-body.ts';
import { schemaController } from './http/serialize.ts';
import { installNotFound, useErrorEnvelope, type ErrorRenderer } from './http/errors.ts';
import { answerFrameworkError } from './http/edge-errors.ts';
import { recordRoutes } from './http/route-table.ts';
import { identifyCallers } from './auth/request-caller.ts';
import { loadPrincipals } from './groups/principals.ts';
import { authService } from './auth/index.ts';
import { gcsService } from './gcs/index.ts';
import { groupsService } from './groups/index.ts';
import { transferService } from './transfer/index.ts';
import { dataService } from './data/index.ts';
import { HostRouter } from './data/hosts.ts';
import { sniCallback, type TlsMaterial } from './tls.ts';

export interface AppOptions {
  tls?: TlsMaterial;
  /** false: no request log; otherwise pino at the configured level, redacting credentials (http/logging.ts) */
  logger?: boolean;
  /** keep the route table (route → registering file) for docs/routes.md; a stack capture per route, so off when serving */
  recordRoutes?: boolean;
  /** where log lines go (default stdout) */
  logStream?: DestinationStream;
}

export type App = FastifyInstance;

export async function buildApp(ctx: ServiceContext, options: AppOptions = {}): Promise<App> {
  // Collection host names share the listener: SNI picks a custom domain's certificate, the router the collection.
  let log: FastifyInstance['log'] | undefined;
  const hosts = new HostRouter(ctx, { onError: (host, err) => log?.error({ err, host }, 'host name lookup failed') });
  const sni = sniCallback({
    domainFor: (name) => hosts.domainFor(name),
    issuer: options.tls?.issuer,
    certDir: ctx.config.tlsDomainCertDir,
    onError: (servername, err) => log?.warn({ err, servername }, 'custom domain certificate unusable; serving the default'),
  });
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, SNICallback: sni } } : {}),
    serverFactory: ((handler: never, opts: never) => hosts.serverFactory(handler, opts)) as never,
    logger: options.logger === false ? false : loggerOptions(ctx.config.logLevel, options.logStream),
    genReqId: () => randomUUID(),
    trustProxy: false,
    bodyLimit: 4 * 1024 * 1024,
    // Whatever fails before routing leaves in an API's envelope: the host router answers parser errors,
    // malformed targets and the shutdown 503; Fastify's URL errors go through answerFrameworkError.
    return503OnClosing: false,
    clientErrorHandler: (error, socket) => hosts.clientError(error, socket),
    frameworkErrors: answerFrameworkError,
    forceCloseConnections: 'idle',
    schemaController,
  }).withTypeProvider<TypeBoxTypeProvider>();
  log = app.log;
  if (options.recordRoutes) recordRoutes(app);
  app.addHook('preClose', async () => hosts.close());

  useValidation(app);
  useBoundedJson(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(formbody);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatehouse', version: '0.1.0', description: 'Globus-compatible Auth, Groups, GCS Manager, Transfer (subset) and HTTPS data APIs' },
      servers: [{ url: ctx.config.publicUrl }],
    },
  });
  registerMetrics(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Anything outside every service's prefix: a plain JSON body with the request id.
  const plain: ErrorRenderer = (error, request) => ({ code: error.code, message: error.message, request_id: request.id });
  useErrorEnvelope(app, plain);
  installNotFound(app, plain);

  identifyCallers(app, { db: ctx.store.db, loadPrincipals });
  await app.register(async (scope) => authService(scope, ctx));
  await app.register(async (scope) => groupsService(scope, ctx));
  await app.register(async (scope) => gcsService(scope, ctx));
  await app.register(async (scope) => transferService(scope, ctx));
  await app.register(async (scope) => dataService(scope, ctx));
  return app;
}
