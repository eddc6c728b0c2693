// Public surface of the server package, used by the CLI, tests and benchmarks.
export { resolveConfig, CONFIG_ENV_VARS, type ServerConfig, type ConfigInput } from './config.ts';
export { startServer, type RunningServer } from './server.ts';
export { buildApp } from './app.ts';
export { routeDocument } from './route-docs.ts';
export { Store } from './store/db.ts';
export { openStore, ensureInitialized } from './bootstrap.ts';
export { createUser, findByUsername, listUsers, qualifyUsername, setPassword } from './auth/identities.ts';
export { createClient, listClients, deleteClient } from './auth/clients.ts';
export {
  createPolicy,
  deletePolicy,
  findPolicy,
  listPolicies,
  policyDocument,
  setPolicyOwner,
  updatePolicy,
  type PolicyDocument,
  type PolicyInput,
} from './auth/policies.ts';
export { setupEndpoint, currentEndpoint } from './gcs/endpoint-setup.ts';
export { ApiError } from './http/errors.ts';
export { localSubscriptionInfo } from './gcs/subscriptions.ts';
export { setGroupSubscription, setGroupAllowJoin } from './groups/repo.ts';
