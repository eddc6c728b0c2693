// Fault injection for tests that run the server in their own process: what no real file system produces on demand (a byte changed between the source read and the destination write).
import type { CopyRequest } from './copy.ts';

export interface EngineTestHooks {
  /** called once per copy of a file; may return copy.ts's `tamper` for that copy */
  tamperFor?(destinationPath: string, attempt: number): CopyRequest['tamper'] | undefined;
}

/** Empty unless a test sets it; the engine only reads it. */
export const engineTestHooks: EngineTestHooks = {};
