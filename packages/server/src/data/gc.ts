// V8 garbage-collection pacing for request bodies: upload chunks die young instead of setting off full mark-compacts.
import v8 from 'node:v8';
import vm from 'node:vm';

/*
 * Why this exists (bench/data, `--trace-gc`): Node's HTTP parser copies each ~16 KiB TLS record of a request
 * body into a fresh ArrayBuffer. An upload allocates few JS objects besides, so in a server's large young
 * generation scavenges come rarely; some chunks outlive two of them and are promoted, and their bytes count
 * towards the old generation's limit, which V8 sets only ~1.3× above the live heap. The result was a full
 * mark-compact of the server's heap every ~20 MB uploaded: ~50 per GiB, more CPU than the upload itself.
 * Two measures, together (either alone left 37–140 mark-compacts per 2 GiB; both, 4):
 *  - a scavenge every SCAVENGE_EVERY bytes of body, while the chunks are still young (~0.3 ms each);
 *  - the old generation may grow to 2× its live size before a mark-compact (V8 picks 1.1–4× by itself).
 * A smaller young generation (`--max-semi-space-size=1`) also helps, but costs ~20% of the API's throughput.
 */
const SCAVENGE_EVERY = 8 << 20;
const HEAP_GROWING_PERCENT = 100;

type Collect = (options: { type: 'minor' | 'major' }) => void;

function exposeGc(): Collect | null {
  const existing = (globalThis as { gc?: Collect }).gc;
  if (typeof existing === 'function') return existing;
  try {
    // A fresh context made while --expose-gc is on gets gc(); the flag is turned off again at once so no
    // other context does. (Node documents setFlagsFromString for flags like these.)
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

let collect: Collect | null | undefined;
let tuned = false;
let sinceLast = 0;

/** Sets the heap growing factor (read by V8 at every mark-compact); once per process. */
export function tuneHeapForUploads(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** Counts `bytes` of request body taken; every SCAVENGE_EVERY bytes (all uploads together), one scavenge. */
export function bodyBytesTaken(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < SCAVENGE_EVERY) return;
  sinceLast = 0;
  collect ??= exposeGc();
  collect?.({ type: 'minor' });
}
