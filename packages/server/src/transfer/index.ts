// The Transfer service plugin: registers its routes under their prefixes with its error envelope.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { renderTransferError } from './envelope.ts';
import { endpointLookupRoutes } from './endpoint-lookup.ts';
import { accessRuleRoutes } from './access-rules.ts';
import { fileOperationRoutes } from './operations.ts';
import { deleteTaskRoutes } from './tasks.ts';

export async function transferService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  useErrorEnvelope(app, renderTransferError, ['/v0.10']);
  await endpointLookupRoutes(app, ctx);
  await accessRuleRoutes(app, ctx);
  await fileOperationRoutes(app, ctx);
  await deleteTaskRoutes(app, ctx);
}
