// What every service plugin receives: the resolved configuration and the state store.
import type { ServerConfig } from './config.ts';
import type { Store } from './store/db.ts';

export interface ServiceContext {
  config: ServerConfig;
  store: Store;
  /** milliseconds since the epoch: what time-based limits (sign-in backoff, instance rate) count by */
  clock: () => number;
}
