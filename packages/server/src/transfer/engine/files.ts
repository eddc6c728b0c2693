// One file of a transfer: decided on both sides, compared by sync_level, copied through copy.ts (temp name, checksum in the read pass, resume from the entry's checkpoint) and recorded as a successful transfer.
import { ConnectorError, type FileEntry } from '../../data/posix/types.ts';
import type { ItemSpec, TransferTaskEntryRow } from '../task-tables.ts';
import { admit, type Admitted } from './access.ts';
import { copyFile, fileChecksum, type CopyEnd } from './copy.ts';
import { engineTestHooks } from './test-hooks.ts';
import { fault, FaultError, faultOf } from './faults.ts';
import { makeDirectories } from './expand.ts';
import { decideSync } from './sync-level.ts';
import { detailsOf, event, failFatal, taskAuth, type StepContext } from './step.ts';

/** The temp name of an entry's copy: stable across restarts, so a takeover finds the kept prefix (copy.ts contract). */
export function tempNameOf(taskId: string, seq: number): string {
  return `.gatehouse-${taskId.slice(0, 8)}-${seq}.part`;
}

/** The checksum algorithm of a file's read pass, or null when nothing asks for one. */
export function algorithmFor(step: StepContext, entry: TransferTaskEntryRow, spec: ItemSpec): string | null {
  const wanted = step.options.verify_checksum === true || spec.external_checksum !== undefined || step.options.sync_level === 3;
  return wanted ? (spec.checksum_algorithm ?? entry.checksum_algorithm ?? 'MD5').toUpperCase() : null;
}

async function destinationFor(step: StepContext, entry: TransferTaskEntryRow, topLevel: boolean): Promise<Admitted> {
  const p = entry.destination_path!;
  // A file item's missing parents are made (spec §15.4); a child's parent was made by its directory entry.
  const parent = p.slice(0, p.lastIndexOf('/')) || '/';
  if (topLevel && parent !== '/' && parent !== '/~') await makeDirectories(step, parent);
  return admit(step.ctx, step.task.destination_collection_id!, taskAuth(step), p, 'write', 'destination', 'write', step.decisions);
}

async function statOrNull(end: Admitted): Promise<FileEntry | null> {
  try {
    return await end.connector.stat(end.at);
  } catch (error) {
    if (error instanceof ConnectorError && error.code === 'ENOENT') return null;
    throw new FaultError(faultOf(error, 'destination', 'stat'));
  }
}

/**
 * Works one file entry. `spec` is its item's own fields (external_checksum only for a file item).
 * Throws FaultError for what the caller records as a fault; returns once the entry is recorded (copied,
 * skipped by sync_level) or the task has failed (external checksum mismatch).
 */
export async function copyEntry(step: StepContext, entry: TransferTaskEntryRow, topLevel: boolean, spec: ItemSpec): Promise<void> {
  const taskId = step.task.task_id;
  // Both ends are decided now, together; a file with either denied faults on that side. A child's first
  // attempt comes right after its directory's listing showed it as no link; a retry looks again.
  const listed = !topLevel && entry.attempts <= 1;
  const [src, dst] = await Promise.all([
    admit(step.ctx, step.task.source_collection_id, taskAuth(step), entry.source_path, 'read', 'source', 'read', step.decisions, listed),
    destinationFor(step, entry, topLevel),
  ]);
  const source: CopyEnd = { connector: src.connector, at: src.at };
  const destination: CopyEnd = { connector: dst.connector, at: dst.at };
  const algorithm = algorithmFor(step, entry, spec);

  // sync_level: files that match are left alone (files_skipped, not a successful transfer). Without one
  // nothing is compared: a directory in the way (or a source that became one) fails the copy itself.
  let skip = false;
  let checksummed = 0;
  let sourceStat: FileEntry | undefined;
  if (step.options.sync_level !== null && step.options.sync_level !== undefined) {
    const [s, destinationStat] = await Promise.all([
      src.connector.stat(src.at).catch((error) => {
        throw new FaultError(faultOf(error, 'source', 'stat'));
      }),
      statOrNull(dst),
    ]);
    sourceStat = s;
    if (sourceStat.type === 'dir') throw new FaultError(fault('IS_A_DIRECTORY', `'${entry.source_path}' is now a directory`, 'source', 'read'));
    if (destinationStat?.type === 'dir')
      throw new FaultError(fault('IS_A_DIRECTORY', `The destination '${entry.destination_path}' is an existing directory`, 'destination', 'write'));
    const decision = decideSync(
      step.options.sync_level,
      { size: sourceStat.size, mtimeMs: sourceStat.mtime_ms },
      destinationStat && { size: destinationStat.size, mtimeMs: destinationStat.mtime_ms },
    );
    skip = decision === 'skip';
    if (decision === 'compare_checksums') {
      const level3 = (spec.checksum_algorithm ?? entry.checksum_algorithm ?? 'MD5').toUpperCase();
      const [a, b] = await Promise.all([fileChecksum(source, level3), fileChecksum(destination, level3)]).catch((error) => {
        throw new FaultError(faultOf(error, 'source', 'checksum'));
      });
      checksummed = sourceStat.size * 2;
      skip = a.toLowerCase() === b.toLowerCase();
    }
  }
  const now = Date.now();
  if (skip && sourceStat) {
    const { size, mtime_ms } = sourceStat;
    await step.completions.record({
      entry,
      to: { state: 'skipped', set: { size, mtime_ms, completed_at: now, next_attempt_at: null, error_code: null } },
      deltas: { files_skipped: 1, bytes_checksummed: checksummed },
    });
    return;
  }

  const tempName = tempNameOf(taskId, entry.seq);
  // external_checksum is checked on the source before anything is written: a mismatch fails the task and
  // leaves the destination as it was. The copy's own checksum then holds the destination to the same value.
  if (spec.external_checksum !== undefined && algorithm) {
    const actual = await fileChecksum(source, algorithm).catch((error) => {
      throw new FaultError(faultOf(error, 'source', 'checksum'));
    });
    if (actual.toLowerCase() !== spec.external_checksum.toLowerCase()) {
      await externalMismatch(step, entry, actual, spec.external_checksum);
      return;
    }
  }
  const resume =
    entry.checkpoint_offset !== null && entry.checkpoint_offset > 0 && entry.checkpoint_digest
      ? { offset: Number(entry.checkpoint_offset), digest: entry.checkpoint_digest }
      : undefined;
  let result;
  try {
    result = await copyFile({
      source,
      destination,
      tempName,
      resume,
      algorithm,
      preserveTimestamp: step.options.preserve_timestamp === true,
      tamper: engineTestHooks.tamperFor?.(entry.destination_path!, entry.attempts),
      signal: step.signal,
      onCheckpoint: async (offset, digest) => {
        await step.ctx.store.db
          .updateTable('transfer_task_entries')
          .set({ checkpoint_offset: offset, checkpoint_digest: digest })
          .where('seq', '=', entry.seq)
          .where('state', '=', 'active')
          .execute();
      },
    });
  } catch (error) {
    throw await copyFault(error, src);
  }
  if (result.resumedFrom > 0) {
    await event(step, {
      code: 'PROGRESS',
      description: 'progress',
      details: JSON.stringify(
        { resumed: entry.source_path, offset: result.resumedFrom, message: `continued from byte ${result.resumedFrom} (kept prefix re-verified)` },
        null,
        2,
      ),
      is_error: false,
    });
  }
  if (spec.external_checksum !== undefined && (result.checksum ?? '').toLowerCase() !== spec.external_checksum.toLowerCase()) {
    // The source changed between the check and the copy: the new content is not what the submitter vouched for.
    throw new FaultError(fault('FILE_CHANGED', `'${entry.source_path}' changed while it was copied`, 'source', 'read'));
  }
  const done = Date.now();
  await step.completions.record({
    entry,
    to: {
      state: 'succeeded',
      set: {
        size: result.size,
        mtime_ms: result.mtimeMs,
        checksum: result.checksum,
        checksum_algorithm: result.checksum === null ? null : algorithm,
        checkpoint_offset: null,
        checkpoint_digest: null,
        completed_at: done,
        next_attempt_at: null,
        error_code: null,
      },
    },
    deltas: { files_transferred: 1, bytes_transferred: result.bytes, bytes_checksummed: algorithm ? result.size : 0 },
  });
}

async function externalMismatch(step: StepContext, entry: TransferTaskEntryRow, actual: string, expected: string): Promise<void> {
  const description = `The checksum of '${entry.source_path}' (${actual}) does not match the external checksum ${expected}`;
  const f = fault('EXTERNAL_CHECKSUM_MISMATCH', description, 'source', 'checksum');
  await failFatal(
    step,
    { code: f.code, description },
    { code: f.code, description: f.description, details: await detailsOf(step, f, entry.source_path), is_error: true },
  );
}

/** A copy failure as a fault on the side it came from: the copy does not say, so a permission or missing-file error asks the source. */
async function copyFault(error: unknown, src: Admitted): Promise<unknown> {
  if (!(error instanceof ConnectorError) || !['EACCES', 'EPERM', 'ENOENT'].includes(error.code)) return error;
  const readable = await src.connector.checkAccess(src.at, 'read').catch(() => false);
  return new FaultError(faultOf(error, readable ? 'destination' : 'source', readable ? 'write' : 'read'));
}
