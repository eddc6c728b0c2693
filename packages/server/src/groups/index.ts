// The Groups service plugin: its caller policy, its error envelope and its routes, one module per resource.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { callerPolicy } from '../auth/request-caller.ts';
import { renderGroupsError } from './envelope.ts';
import { RESOURCE_SERVERS } from './requests.ts';
import { groupRoutes } from './routes/groups.ts';
import { membershipRoutes } from './routes/memberships.ts';
import { policyRoutes } from './routes/policies.ts';
import { preferenceRoutes } from './routes/preferences.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';

export async function groupsService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  useErrorEnvelope(app, renderGroupsError, ['/v2/groups', '/v2/preferences', '/v2/subscription_info']);
  // Every Groups route wants a Groups (or legacy Nexus) token, checked before the body is looked at.
  callerPolicy(app, { required: true, resourceServers: RESOURCE_SERVERS });
  await groupRoutes(app, ctx);
  await membershipRoutes(app, ctx);
  await policyRoutes(app, ctx);
  await preferenceRoutes(app, ctx);
  await subscriptionRoutes(app, ctx);
}
