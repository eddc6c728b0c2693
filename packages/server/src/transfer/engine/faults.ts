// How an error met while working a path is handled (spec §15.8): its event code, whether it is skipped, fatal or retried, the event's details text and the retry back-off.
import { ConnectorError } from '../../data/posix/types.ts';
import type { TaskEvent } from '../task-lifecycle.ts';

export type Side = 'source' | 'destination';

/** An error of one path in Transfer's words. */
export interface Fault {
  /** event code: PERMISSION_DENIED, FILE_NOT_FOUND, QUOTA_EXCEEDED, VERIFY_CHECKSUM, … */
  code: string;
  /** short lower-case phrase (the event's description) */
  description: string;
  /** what the storage said */
  message: string;
  side: Side;
  /** the operation, for the details text: "read", "write", "make directories", "delete", "stat", "list" */
  operation: string;
}

export class FaultError extends Error {
  readonly fault: Fault;
  constructor(fault: Fault) {
    super(fault.message);
    this.name = 'FaultError';
    this.fault = fault;
  }
}

const DESCRIPTIONS: Record<string, string> = {
  PERMISSION_DENIED: 'permission denied',
  FILE_NOT_FOUND: 'file not found',
  QUOTA_EXCEEDED: 'quota exceeded',
  VERIFY_CHECKSUM: 'checksum verification failed',
  EXTERNAL_CHECKSUM_MISMATCH: 'external checksum mismatch',
  FILE_CHANGED: 'source file changed',
  NOT_A_DIRECTORY: 'not a directory',
  IS_A_DIRECTORY: 'is a directory',
  ENDPOINT_ERROR: 'endpoint error',
};

export function fault(code: string, message: string, side: Side, operation: string): Fault {
  return { code, description: DESCRIPTIONS[code] ?? code.toLowerCase().replace(/_/g, ' '), message, side, operation };
}

/** A connector (or copy) failure as a fault; aborted work is not a fault and is rethrown. */
export function faultOf(error: unknown, side: Side, operation: string): Fault {
  if (error instanceof FaultError) return error.fault;
  if (!(error instanceof ConnectorError)) return fault('ENDPOINT_ERROR', (error as Error)?.message ?? String(error), side, operation);
  const sideOf = (error as { side?: Side }).side ?? side;
  switch (error.code) {
    case 'ENOENT':
      return fault('FILE_NOT_FOUND', error.message, sideOf, operation);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'path_outside_root':
    case 'account_unavailable':
      return fault('PERMISSION_DENIED', error.message, sideOf, operation);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return fault('QUOTA_EXCEEDED', error.message, 'destination', operation);
    case 'checksum_mismatch':
      return fault('VERIFY_CHECKSUM', error.message, sideOf, operation);
    case 'source_changed':
      return fault('FILE_CHANGED', error.message, 'source', operation);
    case 'ENOTDIR':
      return fault('NOT_A_DIRECTORY', error.message, sideOf, operation);
    case 'EISDIR':
      return fault('IS_A_DIRECTORY', error.message, sideOf, operation);
    default:
      return fault('ENDPOINT_ERROR', error.message, sideOf, operation);
  }
}

export function isAbort(error: unknown): boolean {
  return (error instanceof ConnectorError && error.code === 'aborted') || (error as Error)?.name === 'AbortError';
}

/** Errors `skip_source_errors` skips: on the source only (spec §15.8). */
export function skippable(f: Fault): boolean {
  return f.side === 'source' && (f.code === 'PERMISSION_DENIED' || f.code === 'FILE_NOT_FOUND' || f.code === 'AMBIGUOUS_PATH');
}

export interface Endpoint {
  id: string;
  name: string;
}

/**
 * The error event's `details` in the layout of the recorded GridFTP events (spec §15.8), with Gatehouse's
 * own operation names: what was done, on which collection and server, to which path, and what storage said.
 */
export function faultDetails(f: Fault, endpoint: Endpoint, server: string, path: string): string {
  return [
    `Error (${f.operation})`,
    `Endpoint: ${endpoint.name} (${endpoint.id})`,
    `Server: ${server}`,
    `File: ${path}`,
    `Command: ${f.operation.toUpperCase().replace(/ /g, '_')} ${path}`,
    `Message: ${f.description}`,
    '---',
    `Details: ${f.message}`,
  ].join('\n');
}

export function faultEvent(f: Fault, details: string): TaskEvent {
  return { code: f.code, description: f.description, details, is_error: true };
}

/** Seconds before the next attempt after `attempts` failed ones: 1, 2, 4, … capped at 60 (retried until the deadline). */
export function backoffMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, Math.min(16, attempts - 1)));
}

/** How long an error shows as the task's nice_status (spec §15.2). */
export const NICE_STATUS_MS = 15 * 60_000;
