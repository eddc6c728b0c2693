// Runs in a password pool thread: scrypt, synchronously, on this thread (never on libuv's shared pool).
import { parentPort } from 'node:worker_threads';
import { scryptSync } from 'node:crypto';

export interface ScryptJob {
  id: number;
  password: string;
  salt: Uint8Array;
  keylen: number;
  N: number;
  r: number;
  p: number;
}

parentPort!.on('message', (job: ScryptJob) => {
  try {
    const key = scryptSync(job.password, job.salt, job.keylen, { N: job.N, r: job.r, p: job.p, maxmem: 128 * job.N * job.r * 2 });
    parentPort!.postMessage({ id: job.id, key });
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: (error as Error).message });
  }
});
