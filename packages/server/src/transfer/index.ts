// The Transfer service plugin: registers its routes under their prefixes with its error envelope.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { callerPolicy } from '../auth/request-caller.ts';
import { TRANSFER_RS } from '../auth/scopes.ts';
import { renderTaskError, renderTransferError } from './envelope.ts';
import { endpointLookupRoutes } from './endpoint-lookup.ts';
import { endpointSearchRoutes } from './endpoint-search.ts';
import { accessRuleRoutes } from './access-rules.ts';
import { fileOperationRoutes } from './operations.ts';
import { taskRoutes } from './tasks/index.ts';
import { taskEngineJob } from './engine/job.ts';

/** Callers of the Transfer API: a token for transfer.api.globus.org. */
const TRANSFER_CALLER = { required: true, resourceServers: [TRANSFER_RS] };

export async function transferService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  useErrorEnvelope(app, renderTransferError, ['/v0.10']);
  // Every Transfer route wants a Transfer token, checked before the body is looked at.
  callerPolicy(app, TRANSFER_CALLER);
  await endpointLookupRoutes(app, ctx);
  // Endpoint search follows the task routes' conventions (spec transfer-tasks.md §0.2): ClientError.* codes, resource without /v0.10.
  await app.register(async (scope) => {
    useErrorEnvelope(scope, renderTaskError);
    await endpointSearchRoutes(scope, ctx);
  });
  await accessRuleRoutes(app, ctx);
  await fileOperationRoutes(app, ctx);
  await taskRoutes(app, ctx);
  taskEngineJob(app, ctx);
}
