// The `gatehouse` command: server, local administration, and client commands against a running server.
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { groupCommand } from './commands/group.ts';
import { GCS_COMMAND_NAMES, gcsCommands, gcsEndpointCommands } from './commands/gcs/index.ts';
import { loginCommand, logoutCommand, tokenCommand, whoamiCommand } from './commands/login.ts';
import { DATA_COMMAND_NAMES, dataCommands } from './commands/data.ts';
import { permissionCommand } from './commands/permission.ts';
import { transferCommand } from './commands/transfer.ts';
import { taskCommand } from './commands/task.ts';
import { endpointSearchCommand } from './commands/endpoint-search.ts';
import { CliError, formatOf } from './output.ts';
import { GlobusAPIError, NetworkError } from '@gatehouse/sdk';

const VERSION = `${(JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version} (Node.js ${process.version})`;

/** Commands that only talk HTTP: they skip loading the server package (most of the start-up time). */
const CLIENT_COMMANDS = new Set(['login', 'whoami', 'logout', 'token', 'group', ...GCS_COMMAND_NAMES, ...DATA_COMMAND_NAMES, 'permission', 'transfer', 'task']);
const OPTIONS_WITH_VALUES = new Set(['-F', '--format', '--server', '--ca']);

/** The command words before the first option of a subcommand: `endpoint search …` → ['endpoint', 'search']. */
function commandWords(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 2; i < argv.length && words.length < 2; i++) {
    const arg = argv[i];
    if (OPTIONS_WITH_VALUES.has(arg)) i++;
    else if (arg.startsWith('-')) {
      if (words.length) break;
    } else words.push(arg);
  }
  return words;
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted, Globus-compatible research-data sharing server')
    .version(VERSION, '-V, --version', 'print the version of gatehouse and of the Node.js running it')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['json', 'text']).default('text'))
    .addOption(new Option('--server <url>', 'server to talk to (default https://127.0.0.1:8443)').env('GATEHOUSE_URL'))
    .addOption(
      new Option('--ca <file>', "CA certificate to trust (default: the one the server's login trusted, else <data dir>/tls/ca.pem when present)").env(
        'GATEHOUSE_CA_FILE',
      ),
    )
    .showHelpAfterError()
    .exitOverride();
  const [name, sub] = commandWords(argv);
  if (name === 'endpoint' && sub === 'search') {
    // `endpoint search` only talks HTTP: the endpoint group without its local `setup`.
    const endpoint = program.command('endpoint').description('the GCS endpoint this server hosts');
    gcsEndpointCommands(endpoint);
    endpointSearchCommand(endpoint);
  } else if (!CLIENT_COMMANDS.has(name ?? '')) {
    const { serveCommand } = await import('./commands/serve.ts');
    const { authAdminCommands, endpointSetupCommand, groupAdminCommand, subscriptionCommands } = await import('./commands/admin.ts');
    program.addCommand(serveCommand());
    const endpoint = program.command('endpoint').description('the GCS endpoint this server hosts');
    endpoint.addCommand(endpointSetupCommand());
    gcsEndpointCommands(endpoint);
    endpointSearchCommand(endpoint);
    const { authPolicyCommands } = await import('./commands/auth-policy.ts');
    const auth = program.command('auth').description('identities, OAuth clients and Auth policies');
    authAdminCommands(auth);
    authPolicyCommands(auth);
    program.addCommand(subscriptionCommands());
    program.addCommand(groupAdminCommand());
  }
  program.addCommand(loginCommand());
  program.addCommand(whoamiCommand());
  program.addCommand(tokenCommand());
  program.addCommand(logoutCommand());
  program.addCommand(groupCommand());
  for (const command of gcsCommands()) program.addCommand(command);
  for (const command of dataCommands()) program.addCommand(command);
  program.addCommand(permissionCommand());
  program.addCommand(transferCommand());
  program.addCommand(taskCommand());
  return program;
}

/** The API's own words for API errors (raw JSON with --format json, as globus-cli does); a CA hint for TLS failures. */
function describeError(error: unknown, program: Command): string {
  if (error instanceof GlobusAPIError) {
    if (formatOf(program) === 'json' && error.raw !== undefined) return JSON.stringify(error.raw, null, 2) + '\n';
    // A stored refresh token the server no longer honours: the fix is a new login, say so.
    const relogin =
      error.code === 'invalid_grant' && /\/v2\/oauth2\/token$/.test(new URL(error.url ?? 'x:/').pathname) ? '\nHint: run `gatehouse login` again' : '';
    return `Error: ${error.message}\nHTTP status: ${error.httpStatus}${error.code ? `\ncode: ${error.code}` : ''}${relogin}\n`;
  }
  if (error instanceof NetworkError) {
    const cause = error.cause instanceof Error ? `: ${(error.cause as Error & { cause?: Error }).cause?.message ?? error.cause.message}` : '';
    const tlsHint = /certificate|self.signed|CERT_/i.test(cause) ? "\nHint: trust the server's CA with --ca FILE or GATEHOUSE_CA_FILE" : '';
    return `Error: cannot reach ${error.url}${cause}${tlsHint}\n`;
  }
  return `Error: ${error instanceof Error ? error.message : String(error)}\n`;
}

async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(describeError(error, program));
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
}

await main(process.argv);
