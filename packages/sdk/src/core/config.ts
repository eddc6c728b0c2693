// Service base URLs (production defaults, GLOBUS_SDK_SERVICE_URL_* overrides, known environments) and GCS addressing.

/** Kept in step with packages/sdk/package.json (a test checks it). */
export const SDK_VERSION = '0.1.0';

/** Services addressed through a fixed base URL; GCS is addressed per endpoint instead (see gcsBaseUrl). */
export type ServiceName = 'auth' | 'groups' | 'transfer';

export const PRODUCTION_BASE_URLS: Readonly<Record<ServiceName, string>> = Object.freeze({
  auth: 'https://auth.globus.org/',
  groups: 'https://groups.api.globus.org/',
  // Transfer paths carry the `v0.10/` version themselves so one origin can serve every API.
  transfer: 'https://transfer.api.globus.org/',
});

// Non-production Globus environments as named by both official SDKs; anything else must be
// overridden per service, so a typo fails loudly instead of silently calling production.
const NON_PRODUCTION_ENVIRONMENTS: Readonly<Record<string, string>> = Object.freeze({
  preview: 'preview.globus.org',
  sandbox: 'sandbox.globuscs.info',
  integration: 'integration.globuscs.info',
  test: 'test.globuscs.info',
  staging: 'staging.globuscs.info',
});

export class EnvironmentConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentConfigurationError';
  }
}

/** Reads an environment variable without assuming Node (browsers have no `process`). */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Ensures a base URL ends with exactly one `/` so relative paths join under it. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '') + '/';
}

/**
 * Base URL of a service: explicit `baseUrl` > `GLOBUS_SDK_SERVICE_URL_<SERVICE>` >
 * `GLOBUS_SDK_ENVIRONMENT` (production when unset). Path prefixes are kept.
 */
export function getServiceUrl(service: ServiceName, options: { baseUrl?: string; environment?: string } = {}): string {
  if (options.baseUrl) return normalizeBaseUrl(options.baseUrl);
  const override = readEnv(`GLOBUS_SDK_SERVICE_URL_${service.toUpperCase()}`);
  if (override) return normalizeBaseUrl(override);
  const environment = options.environment ?? readEnv('GLOBUS_SDK_ENVIRONMENT') ?? 'production';
  if (environment === 'production') return PRODUCTION_BASE_URLS[service];
  const domain = NON_PRODUCTION_ENVIRONMENTS[environment];
  if (!domain) {
    throw new EnvironmentConfigurationError(`unknown GLOBUS_SDK_ENVIRONMENT "${environment}" and no GLOBUS_SDK_SERVICE_URL_${service.toUpperCase()} override`);
  }
  return service === 'auth' ? `https://auth.${domain}/` : `https://${service}.api.${domain}/`;
}

/**
 * Base URL of a GCS Manager API: `host[:port]` → `https://host[:port]/api/`; an `https://` URL gets
 * `/api/` appended unless it already ends in `/api`. Unlike the Python SDK, `http://` addresses are
 * kept as given (useful for tests), not mangled.
 */
export function gcsBaseUrl(address: string): string {
  let url = address.trim();
  if (!/^https?:\/\//i.test(url)) url = `https://${url}`;
  url = url.replace(/\/+$/, '');
  if (!/\/api$/.test(url)) url += '/api';
  return url + '/';
}

/** Default request timeout: `GLOBUS_SDK_HTTP_TIMEOUT` seconds (`-1` = none), else 60 s. */
export function defaultTimeoutMs(): number | undefined {
  const raw = readEnv('GLOBUS_SDK_HTTP_TIMEOUT');
  if (raw === undefined) return 60_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds)) return 60_000;
  return seconds < 0 ? undefined : seconds * 1000;
}
