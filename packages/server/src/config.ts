// Server configuration: flags and GATEHOUSE_* environment variables resolved into one typed object.
import path from 'node:path';
import { availableParallelism } from 'node:os';

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  /** PostgreSQL URL; undefined means the embedded SQLite file in the data dir. */
  databaseUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** The one directory custom domains' `*_path` certificate files may name; undefined: only inline PEM is accepted. */
  tlsDomainCertDir?: string;
  /** Origin clients use to reach this server, e.g. https://gatehouse.example.org:8443 */
  publicUrl: string;
  /** false when publicUrl was derived from host and port (then it follows the port actually bound) */
  publicUrlExplicit: boolean;
  /** Host name used in certificates and GCS domain names. */
  domain: string;
  logLevel: string;
  /** Domain of local users' identities: `alice` signs in as `alice@<identityDomain>`. */
  identityDomain: string;
  /** Access-token lifetime in seconds (Globus uses 48 h). */
  tokenLifetime: number;
  /** Token-endpoint requests allowed per client address per minute. */
  tokenRateLimit: number;
  /** Seconds between passes of the guest-collection auto-delete job; 0 turns it off. */
  autoDeleteInterval: number;
  /** Whether the unauthenticated template call (`globus login`) may make native app instances. */
  nativeAppTemplates: boolean;
  /** Native app instances one client address may make per hour. */
  nativeAppInstanceRateLimit: number;
  /** Worker threads that verify and hash passwords (never libuv's pool, which file I/O uses). */
  passwordThreads: number;
  /** Transfer tasks this process works at once (0: the process runs no tasks). */
  taskConcurrency: number;
  /** Files of one task in flight at once. */
  taskFileConcurrency: number;
  /** Seconds a task's lease holds without a heartbeat: another process takes over a killed one's tasks after it. */
  taskLeaseSeconds: number;
}

export interface ConfigInput {
  dataDir?: string;
  host?: string;
  port?: number | string;
  databaseUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsDomainCertDir?: string;
  publicUrl?: string;
  domain?: string;
  logLevel?: string;
  identityDomain?: string;
  tokenLifetime?: number | string;
  tokenRateLimit?: number | string;
  autoDeleteInterval?: number | string;
  nativeAppTemplates?: string | boolean;
  nativeAppInstanceRateLimit?: number | string;
  passwordThreads?: number | string;
  taskConcurrency?: number | string;
  taskFileConcurrency?: number | string;
  taskLeaseSeconds?: number | string;
}

const ENV: Record<keyof ConfigInput, string> = {
  dataDir: 'GATEHOUSE_DATA_DIR',
  host: 'GATEHOUSE_HOST',
  port: 'GATEHOUSE_PORT',
  databaseUrl: 'GATEHOUSE_DATABASE_URL',
  tlsCert: 'GATEHOUSE_TLS_CERT',
  tlsKey: 'GATEHOUSE_TLS_KEY',
  tlsDomainCertDir: 'GATEHOUSE_TLS_DOMAIN_CERT_DIR',
  publicUrl: 'GATEHOUSE_PUBLIC_URL',
  domain: 'GATEHOUSE_DOMAIN',
  logLevel: 'GATEHOUSE_LOG_LEVEL',
  identityDomain: 'GATEHOUSE_IDENTITY_DOMAIN',
  tokenLifetime: 'GATEHOUSE_TOKEN_LIFETIME',
  tokenRateLimit: 'GATEHOUSE_TOKEN_RATE_LIMIT',
  autoDeleteInterval: 'GATEHOUSE_AUTO_DELETE_INTERVAL',
  nativeAppTemplates: 'GATEHOUSE_NATIVE_APP_TEMPLATES',
  nativeAppInstanceRateLimit: 'GATEHOUSE_NATIVE_APP_INSTANCE_RATE_LIMIT',
  passwordThreads: 'GATEHOUSE_PASSWORD_THREADS',
  taskConcurrency: 'GATEHOUSE_TASK_CONCURRENCY',
  taskFileConcurrency: 'GATEHOUSE_TASK_FILE_CONCURRENCY',
  taskLeaseSeconds: 'GATEHOUSE_TASK_LEASE_SECONDS',
};

export const CONFIG_ENV_VARS = ENV;

function pick<K extends keyof ConfigInput>(input: ConfigInput, key: K, env: NodeJS.ProcessEnv): ConfigInput[K] | undefined {
  if (input[key] !== undefined) return input[key];
  const fromEnv = env[ENV[key]];
  // DATABASE_URL is the conventional name; GATEHOUSE_DATABASE_URL wins when both are set.
  if (key === 'databaseUrl' && fromEnv === undefined) return (env.DATABASE_URL || undefined) as ConfigInput[K];
  return (fromEnv === '' ? undefined : fromEnv) as ConfigInput[K];
}

function toInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${String(value)}`);
  return n;
}

function toSwitch(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (/^(on|true|1|yes)$/i.test(String(value))) return true;
  if (/^(off|false|0|no)$/i.test(String(value))) return false;
  throw new Error(`${name} must be on or off, got ${String(value)}`);
}

export function resolveConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = path.resolve(pick(input, 'dataDir', env) ?? './gatehouse-data');
  const host = pick(input, 'host', env) ?? '127.0.0.1';
  const port = toInt(pick(input, 'port', env), 'port', 8443);
  const publicUrlRaw = pick(input, 'publicUrl', env);
  const domain = pick(input, 'domain', env) ?? (publicUrlRaw ? new URL(publicUrlRaw).hostname : host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const publicUrl = (publicUrlRaw ?? `https://${domain.includes(':') ? `[${domain}]` : domain}:${port}`).replace(/\/+$/, '');
  const tlsCert = pick(input, 'tlsCert', env);
  const tlsKey = pick(input, 'tlsKey', env);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error('--tls-cert and --tls-key must be given together');
  const tlsDomainCertDir = pick(input, 'tlsDomainCertDir', env);
  return {
    dataDir,
    host,
    port,
    databaseUrl: pick(input, 'databaseUrl', env),
    tlsCert: tlsCert ? path.resolve(tlsCert) : undefined,
    tlsKey: tlsKey ? path.resolve(tlsKey) : undefined,
    tlsDomainCertDir: tlsDomainCertDir ? path.resolve(tlsDomainCertDir) : undefined,
    publicUrl,
    publicUrlExplicit: publicUrlRaw !== undefined,
    domain,
    logLevel: pick(input, 'logLevel', env) ?? 'info',
    identityDomain: (pick(input, 'identityDomain', env) ?? 'localhost').toLowerCase(),
    tokenLifetime: toInt(pick(input, 'tokenLifetime', env), 'token lifetime', 172800),
    tokenRateLimit: toInt(pick(input, 'tokenRateLimit', env), 'token rate limit', 600),
    autoDeleteInterval: toInt(pick(input, 'autoDeleteInterval', env), 'auto-delete interval', 3600),
    nativeAppTemplates: toSwitch(pick(input, 'nativeAppTemplates', env), ENV.nativeAppTemplates, true),
    nativeAppInstanceRateLimit: toInt(pick(input, 'nativeAppInstanceRateLimit', env), ENV.nativeAppInstanceRateLimit, 20),
    passwordThreads: Math.max(1, toInt(pick(input, 'passwordThreads', env), ENV.passwordThreads, Math.min(2, availableParallelism()))),
    taskConcurrency: toInt(pick(input, 'taskConcurrency', env), ENV.taskConcurrency, 8),
    taskFileConcurrency: Math.max(1, toInt(pick(input, 'taskFileConcurrency', env), ENV.taskFileConcurrency, 8)),
    taskLeaseSeconds: Math.max(2, toInt(pick(input, 'taskLeaseSeconds', env), ENV.taskLeaseSeconds, 30)),
  };
}
