// Waiting for a Transfer task as globus-cli's `task wait` does, with a live progress bar in a terminal (files, bytes, rate, ETA) or plain lines otherwise.
import cliProgress from 'cli-progress';
import type { TaskDocument, TransferClient } from '@gatehouse/sdk';
import { humanBytes } from '../output.ts';

export interface WaitOptions {
  /** seconds; undefined: wait as long as it takes */
  timeout?: number;
  /** seconds between polls */
  pollingInterval: number;
  /** show progress on stderr: a bar when stdout is a terminal, else a line whenever something changed */
  progress: boolean;
}

interface ProgressView {
  update(task: TaskDocument): void;
  stop(): void;
}

const filesDone = (t: TaskDocument) => (t.files_transferred ?? 0) + (t.files_skipped ?? 0);
const rate = (t: TaskDocument) => `${humanBytes(t.effective_bytes_per_second ?? 0)}/s`;

function progressLine(t: TaskDocument): string {
  const status = t.is_paused ? `${t.status} (paused)` : t.status;
  const details = t.nice_status && t.nice_status !== 'OK' && t.nice_status !== 'Queued' ? ` | ${t.nice_status}` : '';
  return `${new Date().toISOString()} ${t.task_id} ${status} | files ${filesDone(t)}/${t.files ?? 0} | ${humanBytes(t.bytes_transferred ?? 0)} | ${rate(t)} | faults ${t.faults ?? 0}${details}`;
}

/** Plain lines for logs and pipes: one whenever the task's state or counters change. */
function lineView(): ProgressView {
  let last = '';
  return {
    update(task) {
      const line = progressLine(task);
      const key = line.slice(line.indexOf(' ') + 1);
      if (key !== last) process.stderr.write(`${line}\n`);
      last = key;
    },
    stop() {},
  };
}

/** A cli-progress bar of files done out of files found (which grows as directories are expanded), with bytes, rate and ETA. */
function barView(taskId: string): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${taskId.slice(0, 8)} [{bar}] {value}/{total} files | {bytes} | {rate} | ETA {eta_formatted} | {status}`,
      barsize: 30,
      hideCursor: true,
      etaBuffer: 20,
      etaAsynchronousUpdate: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(task) {
      const payload = {
        bytes: humanBytes(task.bytes_transferred ?? 0),
        rate: rate(task),
        status: task.is_paused ? 'PAUSED' : (task.nice_status ?? task.status),
      };
      // cli-progress needs a positive total; a task still expanding its directories may know of no file yet.
      const total = Math.max(1, task.files ?? 0, filesDone(task));
      if (!started) {
        bar.start(total, filesDone(task), payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(filesDone(task), payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * Polls the task (the SDK's taskWait, as `globus task wait` does) until it is no longer ACTIVE or `timeout`
 * passes, then fetches it once more: the document to print and decide the exit code by.
 */
export async function waitForTask(transfer: TransferClient, taskId: string, options: WaitOptions): Promise<{ task: TaskDocument; timedOut: boolean }> {
  const view = options.progress ? (process.stdout.isTTY === true && process.stderr.isTTY === true ? barView(taskId) : lineView()) : undefined;
  try {
    const done = await transfer.taskWait(taskId, {
      timeout: options.timeout ?? Number.POSITIVE_INFINITY,
      pollingInterval: options.pollingInterval,
      onPoll: (task) => view?.update(task),
    });
    const task = await transfer.getTask(taskId);
    view?.update(task);
    return { task, timedOut: !done };
  } finally {
    view?.stop();
  }
}

/** globus-cli's exit status for a finished wait: 0 only for SUCCEEDED. */
export const exitCodeOf = (task: TaskDocument): number => (task.status === 'SUCCEEDED' ? 0 : 1);
