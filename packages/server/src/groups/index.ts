// The Groups service plugin: registers its routes under their prefixes with its error envelope.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { renderGroupsError } from './envelope.ts';
import { groupsRoutes } from './routes.ts';

export async function groupsService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  useErrorEnvelope(app, renderGroupsError, ['/v2/groups', '/v2/preferences', '/v2/subscription_info']);
  await groupsRoutes(app, ctx);
}
