/**
 * What a recovering server's log says: the WAL files restored from the archive, where recovery stopped and why,
 * the last replayed transaction, promotion, and the errors restore_command printed (preflight's codes).
 * The restored cluster runs with timezone = UTC, so the times in these messages end in +00.
 */

export interface RecoveryLog {
  restored: string[];
  /** `recovery stopping before commit of transaction 737, time ...`. */
  stopping?: string;
  lastTransactionTime?: string;
  redoDoneAt?: string;
  consistentAt?: string;
  promoted: boolean;
  shutDown: boolean;
  fatal?: string;
  /** restore_command's own errors (E_WAL_INTEGRITY, E_DECRYPT, E_WAL, ...), as printed. */
  walErrors: string[];
}

/** `2026-11-30 16:20:00.123456+00` (PostgreSQL's ISO output) as an ISO 8601 string. */
export function parsePgTimestamp(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const date = new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function parseRecoveryLog(text: string): RecoveryLog {
  const log: RecoveryLog = { restored: [], promoted: false, shutDown: false, walErrors: [] };
  let recoveryComplete = false;
  for (const line of text.split('\n')) {
    const restored = /restored log file "([0-9A-F]{24})" from archive/.exec(line);
    if (restored?.[1]) log.restored.push(restored[1]);
    const stopping = /(recovery stopping .*)$/.exec(line);
    if (stopping?.[1]) log.stopping = stopping[1];
    const last = /last completed transaction was at log time (.+)$/.exec(line);
    if (last?.[1]) log.lastTransactionTime = parsePgTimestamp(last[1]) ?? last[1];
    const redo = /redo done at ([0-9A-F]+\/[0-9A-F]+)/.exec(line);
    if (redo?.[1]) log.redoDoneAt = redo[1];
    const consistent = /consistent recovery state reached at ([0-9A-F]+\/[0-9A-F]+)/.exec(line);
    if (consistent?.[1]) log.consistentAt = consistent[1];
    if (/archive recovery complete/.test(line)) recoveryComplete = true;
    if (recoveryComplete && /database system is ready to accept connections/.test(line)) log.promoted = true;
    if (/database system is shut down/.test(line)) log.shutDown = true;
    const fatal = /(?:FATAL|PANIC):\s+(.*)$/.exec(line);
    if (fatal?.[1] && !log.fatal) log.fatal = fatal[1];
    if (/\bE_(WAL|WAL_INTEGRITY|DECRYPT|STORAGE|CONFIG)\b/.test(line)) log.walErrors.push(line.trim());
  }
  return log;
}
