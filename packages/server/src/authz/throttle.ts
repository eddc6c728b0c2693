// Sign-in throttling as pure functions: when an account or a client address must wait, and for how long.

export interface ThrottlePolicy {
  /** failures allowed before the first wait */
  freeAttempts: number;
  /** the first wait, in ms; each further failure doubles it */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a counter with no failure for this long starts over */
  forgetAfterMs: number;
}

/** An account gets a few tries; an address (possibly many people behind one NAT) more. */
export const ACCOUNT_POLICY: ThrottlePolicy = { freeAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 24 * 3600_000 };
export const ADDRESS_POLICY: ThrottlePolicy = { freeAttempts: 20, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 24 * 3600_000 };

export interface AttemptCounter {
  failures: number;
  last_failure_at: number;
  blocked_until: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Asked before the password is verified: a blocked counter refuses without spending any work on the password. */
export function decideAttempt(counter: AttemptCounter | undefined, now: number): ThrottleDecision {
  if (!counter || counter.blocked_until <= now) return { allowed: true };
  return { allowed: false, retryAfterMs: counter.blocked_until - now };
}

/** The counter after a failed attempt: past the free attempts the wait doubles, from the base to the cap. */
export function afterFailure(counter: AttemptCounter | undefined, now: number, policy: ThrottlePolicy): AttemptCounter {
  const failures = (counter && now - counter.last_failure_at < policy.forgetAfterMs ? counter.failures : 0) + 1;
  const over = failures - policy.freeAttempts;
  const delay = over <= 0 ? 0 : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
  return { failures, last_failure_at: now, blocked_until: now + delay };
}

/** An attempt counted as a failure before its password was checked, taken back: the password was right. */
export function afterSuccess(counter: AttemptCounter | undefined, policy: ThrottlePolicy): AttemptCounter {
  if (!counter) return { failures: 0, last_failure_at: 0, blocked_until: 0 };
  const failures = Math.max(0, counter.failures - 1);
  return { failures, last_failure_at: counter.last_failure_at, blocked_until: failures < policy.freeAttempts ? 0 : counter.blocked_until };
}

/** Whichever refusal waits longest speaks for all. */
export function combine(decisions: ThrottleDecision[]): ThrottleDecision {
  let worst: ThrottleDecision = { allowed: true };
  for (const d of decisions) if (!d.allowed && (worst.allowed || d.retryAfterMs > worst.retryAfterMs)) worst = d;
  return worst;
}
