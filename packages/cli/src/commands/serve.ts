// `gatehouse serve` and the options shared by every command that opens the data dir or database.
import { Command, Option } from 'commander';
import { resolveConfig, startServer, CONFIG_ENV_VARS, type ConfigInput } from '@gatehouse/server';
import { formatOf } from '../output.ts';

/** --data-dir and --database-url: the store a local command acts on. */
export function storeOptions(command: Command): Command {
  return command
    .addOption(new Option('--data-dir <dir>', 'data directory (default ./gatehouse-data)').env(CONFIG_ENV_VARS.dataDir))
    .addOption(new Option('--database-url <url>', 'PostgreSQL URL (default: SQLite in the data dir)').env(CONFIG_ENV_VARS.databaseUrl))
    .addOption(new Option('--identity-domain <domain>', 'domain of local users (alice → alice@<domain>)').env(CONFIG_ENV_VARS.identityDomain));
}

export function configFrom(opts: Record<string, unknown>): ReturnType<typeof resolveConfig> {
  return resolveConfig(opts as ConfigInput);
}

export function serveCommand(): Command {
  const command = new Command('serve').description('run the server (HTTPS; a local CA is created on first start)');
  storeOptions(command)
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)').env(CONFIG_ENV_VARS.host))
    .addOption(new Option('--port <port>', 'port to listen on (default 8443)').env(CONFIG_ENV_VARS.port))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate chain (default: local CA in the data dir)').env(CONFIG_ENV_VARS.tlsCert))
    .addOption(new Option('--tls-key <file>', 'PEM private key').env(CONFIG_ENV_VARS.tlsKey))
    .addOption(
      new Option('--tls-domain-cert-dir <dir>', "the only directory custom domains' *_path certificate files may name").env(CONFIG_ENV_VARS.tlsDomainCertDir),
    )
    .addOption(new Option('--public-url <url>', 'origin clients use, e.g. https://data.example.org:8443').env(CONFIG_ENV_VARS.publicUrl))
    .addOption(new Option('--domain <name>', 'host name for certificates and collection domains').env(CONFIG_ENV_VARS.domain))
    .addOption(new Option('--log-level <level>', 'pino log level').env(CONFIG_ENV_VARS.logLevel))
    .action(async (opts, cmd: Command) => {
      const config = configFrom(opts);
      const server = await startServer(config);
      const info = {
        url: server.url,
        public_url: config.publicUrl,
        endpoint_id: server.firstStart.endpointId,
        ca_certificate: server.caPath ?? null,
        store: server.store.location,
        ...(server.firstStart.adminPassword ? { admin_username: server.firstStart.adminUsername, admin_password: server.firstStart.adminPassword } : {}),
      };
      if (formatOf(cmd) === 'json') process.stderr.write(JSON.stringify(info) + '\n');
      else {
        const lines = [`Gatehouse listening on ${server.url} (public URL ${config.publicUrl})`, `Endpoint id: ${info.endpoint_id}`, `Store: ${info.store}`];
        if (server.caPath) lines.push(`CA certificate (trust this in clients): ${server.caPath}`);
        if (server.firstStart.adminPassword) lines.push(`Created user ${info.admin_username} with password ${info.admin_password} (shown once)`);
        process.stderr.write(lines.join('\n') + '\n');
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.app.log.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (err) => {
            server.app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
  return command;
}
