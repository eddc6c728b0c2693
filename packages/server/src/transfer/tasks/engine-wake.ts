// The one call site through which submission wakes the task engine once a task is committed (the engine, transfer/engine/, supplies the wake-up).
import type { ServiceContext } from '../../context.ts';

type Wake = (ctx: ServiceContext, taskId: string) => void;

let wake: Wake = () => {};

/**
 * Called after the transaction that created `taskId` has committed: the engine in this process looks for
 * work now instead of at its next poll. Other processes find the task by polling the store, so a wake-up
 * that reaches nobody delays the task, never loses it.
 */
export function wakeTaskEngine(ctx: ServiceContext, taskId: string): void {
  wake(ctx, taskId);
}

/** The engine registers its wake-up here when it starts (until it does, a submission just waits for the next poll). */
export function onTaskSubmitted(fn: Wake): void {
  wake = fn;
}
