// Transfer timestamps: the one output form (`YYYY-MM-DDTHH:MM:SS+00:00`) and every input form clients send for deadlines and date filters (spec transfer-tasks.md §0.4).
import { transferErrors } from '../errors.ts';

/** Milliseconds since the epoch as Transfer writes a time: UTC, second precision; null stays null. */
export function transferTime(ms: number | null): string | null {
  return ms === null ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, '+00:00');
}

// A date, optionally a time (seconds and fraction optional) after `T` or a space, optionally an offset.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A time as clients send it, in milliseconds since the epoch, or undefined when it is none of the forms:
 * `2017-10-12`, `2017-10-12 09:30Z`, `2017-10-12 12:33:54+00:00`, the CLI's naive `YYYY-MM-DD HH:MM:SS`
 * (UTC), Python's `str(datetime)` (space, microseconds, offset) and `isoformat()` (with `T`).
 */
export function parseTime(raw: string): number | undefined {
  const m = DATE_TIME.exec(raw.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // 2021-02-30 would roll over into March: refused rather than reinterpreted.
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offset = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const minutes = Number(z[2]) * 60 + Number(z[3] ?? '0');
    if (Number(z[2]) > 23 || Number(z[3] ?? '0') > 59) return undefined;
    offset = (z[1] === '-' ? -1 : 1) * minutes * 60_000;
  }
  return local - offset + Math.floor(fraction);
}

/** parseTime, or 400 naming what was wrong. */
export function requireTime(raw: string, what: string): number {
  const ms = parseTime(raw);
  if (ms === undefined) throw transferErrors.error('ClientError.BadRequest', `Invalid ${what} '${raw}'`);
  return ms;
}
