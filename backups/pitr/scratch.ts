/**
 * `backup drill --scratch`: everything the drill needs, made for it and removed after it: a fresh age key, a config
 * file the server user can read, a storage directory (or a unique target name in a given storage), and a cluster
 * with archive_mode on whose archive_command is `preflight wal push`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import type { PreflightConfig } from '../../src/core/config/schema.js';
import { type Cluster, createCluster, getPostgresRunAs } from '../../src/core/pg/cluster.js';
import { runTool } from '../../src/core/process.js';
import { registerSecret } from '../../src/core/redact.js';
import { getBasePrefix } from '../layout.js';
import { type BackupStorage, openStorage } from '../storage/index.js';
import { buildWalCommand, listWalArchive } from '../wal/archive.js';
import { type DrillReport, runDrill } from './drill.js';

export interface ScratchOptions {
  backups: PreflightConfig['backups'];
  /** A storage URL to use instead of a temporary directory (the scratch objects are removed from it after). */
  storageUrl?: string;
  /** Parent of the temporary directory. */
  workRoot: string;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

export interface ScratchSource {
  workDir: string;
  target: string;
  identity: string;
  recipient: string;
  configPath: string;
  storageUrl: string;
  storage: BackupStorage;
  cluster: Cluster;
  /** Stops the cluster, removes the scratch objects from a given storage and the temporary directory. */
  remove(): Promise<void>;
}

/** A cluster archiving through `preflight wal push` into a storage, with its own key and config. */
export async function createScratchSource(o: ScratchOptions): Promise<ScratchSource> {
  const workDir = mkdtempSync(join(o.workRoot, 'preflight-drill-'));
  // the server user runs archive_command and restore_command: it reads the config and writes the storage
  chmodSync(workDir, 0o755);
  const target = `drill-${randomBytes(3).toString('hex')}`;
  const identity = await generateIdentity();
  registerSecret(identity);
  const recipient = await identityToRecipient(identity);
  const storageDir = join(workDir, 'storage');
  // archive_command (the server user) writes <target>/wal/ in it; base backups (this user) go to <target>/base/
  mkdirSync(join(storageDir, target, 'wal'), { recursive: true, mode: 0o700 });
  const runAs = getPostgresRunAs();
  if (runAs) await runTool('chown', ['-R', `${runAs.uid}:${runAs.gid}`, storageDir]);
  const storageUrl = o.storageUrl ?? pathToFileURL(storageDir).toString();
  const configPath = join(workDir, 'preflight.yaml');
  const { pushgatewayUrl: _gateway, textfileDir: _textfile, ageIdentityFile: _file, ...backups } = o.backups;
  // JSON is YAML: the scratch config keeps the storage settings (S3 endpoint, variable names) and a fresh key
  writeFileSync(
    configPath,
    `${JSON.stringify({ backups: { ...backups, ageRecipients: [recipient] } }, null, 2)}\n`,
    { mode: 0o644 },
  );
  const storage = openStorage(storageUrl, o.backups, { env: o.env });
  const remove = async (cluster?: Cluster) => {
    await cluster?.destroy().catch(() => undefined);
    if (o.storageUrl) {
      const keys = [
        ...(await storage.list(getBasePrefix(target)).catch(() => [])).map((x) => x.key),
        ...(await listWalArchive({ storage, target }).catch(() => [])).map((x) => x.key),
      ];
      if (keys.length) await storage.deleteKeys(keys).catch(() => undefined);
    }
    await storage.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const cluster = await createCluster({
      dataDir: join(workDir, 'source'),
      password: randomBytes(18).toString('base64url'),
      settings: {
        archive_mode: 'on',
        archive_command: buildWalCommand('push', { target, configPath, storage: storageUrl }),
        wal_level: 'replica',
        timezone: 'UTC',
        log_timezone: 'UTC',
      },
    });
    return {
      workDir,
      target,
      identity,
      recipient,
      configPath,
      storageUrl,
      storage,
      cluster,
      remove: () => remove(cluster),
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

export async function runScratchDrill(o: ScratchOptions): Promise<DrillReport> {
  const source = await createScratchSource(o);
  try {
    return await runDrill({
      target: source.target,
      adminUrl: source.cluster.url(),
      storage: source.storage,
      storageUrl: source.storageUrl,
      configPath: source.configPath,
      recipients: [source.recipient],
      identity: source.identity,
      identityEnv: o.backups.ageIdentityEnv,
      compressLevel: o.backups.compressLevel,
      workDir: source.workDir,
      env: o.env,
      log: o.log,
    });
  } finally {
    await source.remove();
  }
}
