// Gatehouse child process entry: startServer on a prepared data dir (and database), reporting its URL on stdout.
import { resolveConfig, startServer } from '@gatehouse/server';

const dataDir = process.env.BENCH_DATA_DIR;
if (!dataDir) throw new Error('BENCH_DATA_DIR is required');
// An empty environment for resolveConfig: a stray DATABASE_URL in the shell must not redirect a SQLite run.
const config = resolveConfig(
  {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    logLevel: 'silent',
    tokenRateLimit: process.env.BENCH_TOKEN_RATE_LIMIT,
  },
  {},
);
const server = await startServer(config, { logger: false });
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url })}\n`);

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  server.close().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
