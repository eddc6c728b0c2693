// The GCS service plugin: the Manager API under /api in the GCS result envelope, and collection scopes in Auth.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { useErrorEnvelope } from '../http/errors.ts';
import { registerResourceServerLookup } from '../auth/scopes.ts';
import { registerServerAdminCheck } from '../auth/policies.ts';
import { isServerAdmin } from './server-admins.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { installValidation, renderGcsError } from './envelope.ts';
import { endpointRoutes } from './routes/endpoint.ts';
import { roleRoutes } from './routes/roles.ts';
import { storageGatewayRoutes } from './routes/storage-gateways.ts';
import { collectionRoutes } from './routes/collections.ts';
import { userCredentialRoutes } from './routes/user-credentials.ts';
import { sharingPolicyRoutes } from './routes/sharing-policies.ts';
import { nodeRoutes } from './routes/nodes.ts';
import { collectionAdminRoutes } from './routes/collection-admin.ts';
import { domainRoutes } from './routes/domains.ts';
import { autoDeleteJob } from './auto-delete.ts';
import { GCS_CALLER } from './caller.ts';
import { callerPolicy } from '../auth/request-caller.ts';

/** Each collection is an Auth resource server: data_access (consented under manage_collections for guests) and https. */
export function collectionScopes(collectionId: string): string[] {
  return [`https://auth.globus.org/scopes/${collectionId}/data_access`, `https://auth.globus.org/scopes/${collectionId}/https`];
}

export async function gcsService(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  registerServerAdminCheck(isServerAdmin);
  registerResourceServerLookup(async (db, id) => {
    if (!UUID_RE.test(id)) return null;
    const found = await db.selectFrom('collections').select('id').where('id', '=', id.toLowerCase()).executeTakeFirst();
    return found ? collectionScopes(found.id) : null;
  });
  useErrorEnvelope(app, renderGcsError, ['/api']);
  installValidation(app);
  // Every Manager API route wants this endpoint's manage_collections token unless it says otherwise (GCS_VIEWER, none).
  callerPolicy(app, GCS_CALLER);
  await endpointRoutes(app, ctx);
  await roleRoutes(app, ctx);
  await storageGatewayRoutes(app, ctx);
  await collectionRoutes(app, ctx);
  await collectionAdminRoutes(app, ctx);
  await domainRoutes(app, ctx);
  await userCredentialRoutes(app, ctx);
  await sharingPolicyRoutes(app, ctx);
  await nodeRoutes(app, ctx);
  autoDeleteJob(app, ctx);
}
