// Waiting in tests for something the server does asynchronously: a condition checked until it holds, bounded so a miss fails instead of hanging.
import assert from 'node:assert/strict';

/**
 * Checks `condition` until it returns a value other than undefined/false and returns it. Between checks
 * it yields for `everyMs`; after `timeoutMs` it fails naming `what`. This waits for an outcome, never for
 * an amount of time: a fast machine passes at the first check.
 */
export async function eventually<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  { timeoutMs = 20_000, everyMs = 10 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
