// Concurrency helpers for race tests: requests released together, answers counted by status.

/** Runs fn(0..n-1) concurrently, all released in the same tick, and waits for every answer. */
export async function together<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const runs = Array.from({ length: n }, (_, i) => gate.then(() => fn(i)));
  release();
  return Promise.all(runs);
}

/** How many answers had each status, e.g. `{ 200: 1, 409: 9 }`. */
export function statusCounts(answers: Array<{ status: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}
