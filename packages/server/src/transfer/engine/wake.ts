// Waking the task engine of this process when a task is submitted (or changed): routes call wakeEngine(store); other processes find the task by their poll.
import type { Store } from '../../store/db.ts';

const engines = new WeakMap<Store, () => void>();

/** Registered by the engine at start for its store; removed at stop. */
export function registerEngine(store: Store, wake: () => void): void {
  engines.set(store, wake);
}

export function unregisterEngine(store: Store): void {
  engines.delete(store);
}

/** Tells this process's engine that there is new work (a submitted, resumed or changed task). A no-op without one. */
export function wakeEngine(store: Store): void {
  engines.get(store)?.();
}
