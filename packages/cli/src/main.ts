// The `gatehouse` command: server, local administration, and client commands against a running server.
import { Command, CommanderError, Option } from 'commander';
import { serveCommand } from './commands/serve.ts';
import { authAdminCommands, endpointSetupCommand } from './commands/admin.ts';
import { CliError } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted, Globus-compatible research-data sharing server')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['json', 'text']).default('text'))
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  const endpoint = program.command('endpoint').description('the GCS endpoint this server hosts');
  endpoint.addCommand(endpointSetupCommand());
  authAdminCommands(program.command('auth').description('identities and OAuth clients'));
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Error: ${message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
}

await main(process.argv);
