/**
 * The WAL archive of a target: every file PostgreSQL archives (segments, `.partial`, `.history`, `.backup`) is
 * stored once at `<target>/wal/<timeline, 8 hex digits>/<file name>.age`.
 *
 * Object format: one header line in clear, `preflight-wal/1 sha256=<hex> size=<bytes> br\n`, then the age
 * ciphertext of the brotli-compressed file (quality 0: a fraction of gzip -1's CPU for a similar ratio on WAL). The sha256 and size are those of the plain WAL file: a push compares
 * them without any secret (idempotent push, conflicting content refused), a fetch checks them after decrypting
 * (E_WAL_INTEGRITY on a mismatch). The header reveals only a digest and a length; age's own MAC catches any
 * change of the ciphertext, which fetch also reports as E_WAL_INTEGRITY (a wrong key stays E_DECRYPT).
 *
 * Figures measured on this machine (2 shared cores, Node 20, 16 MiB segments, file storage): see
 * backups/wal/spool.ts for the push fast path and backups/wal/archiver.ts for the archiver throughput.
 */

export { buildWalCommand, type WalCommandOptions } from './command.js';
export { applyWalPrune, planWalPrune, type WalPruneItem, type WalPrunePlan } from './prune.js';
export {
  decodeWalObject,
  encodeWalObject,
  type FetchWalOptions,
  fetchWal,
  getWalObjectKey,
  listWalArchive,
  type PushWalOptions,
  type PushWalResult,
  parseWalObjectHeader,
  pushWal,
  readStoredHeader,
  type WalEntry,
  type WalObjectHeader,
} from './store.js';
export { verifyWalArchive, type WalGap, type WalVerifyResult } from './verify.js';
