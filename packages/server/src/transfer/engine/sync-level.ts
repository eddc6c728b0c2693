// sync_level (spec §15.5): whether a file that exists on both sides is copied or left alone.
export interface FileFacts {
  size: number;
  mtimeMs: number;
}

export type SyncDecision = 'copy' | 'skip' | 'compare_checksums';

/**
 * The decision for one file. A missing destination is always copied; null copies always. Level 3 asks for
 * both checksums (the caller computes them and compares); mtimes are compared at whole seconds, the
 * precision Transfer lists them with, so a preserved timestamp counts as equal.
 */
export function decideSync(level: 0 | 1 | 2 | 3 | null | undefined, source: FileFacts, destination: FileFacts | null): SyncDecision {
  if (destination === null || level === null || level === undefined) return 'copy';
  switch (level) {
    case 0:
      return 'skip';
    case 1:
      return source.size !== destination.size ? 'copy' : 'skip';
    case 2:
      return source.size !== destination.size || Math.floor(source.mtimeMs / 1000) > Math.floor(destination.mtimeMs / 1000) ? 'copy' : 'skip';
    case 3:
      return source.size !== destination.size ? 'copy' : 'compare_checksums';
  }
}
