import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from './catalog.js';
import { createAgeKeys, createSeededDatabase, makeTempDir, type SeededDatabase } from './fixtures/support.js';
import { defaultRetryPolicy } from './retry.js';
import { runBackup } from './run.js';
import { createFileStorage } from './storage/file.js';
import { verifyBackup } from './verify.js';

describe('backup run + verify on file storage', () => {
  let db: SeededDatabase;
  let keys: { identity: string; recipient: string };
  let dir: string;
  beforeAll(async () => {
    [db, keys] = await Promise.all([createSeededDatabase('run-verify'), createAgeKeys()]);
    dir = makeTempDir('store');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('stores a complete backup whose restored copy matches the manifest exactly', async () => {
    const storage = createFileStorage(join(dir, 'store'));
    const textfileDir = join(dir, 'metrics');
    const { id, manifest } = await runBackup({
      target: 'local',
      adminUrl: db.url,
      storage,
      recipients: [keys.recipient],
      compressLevel: 6,
      metrics: { textfileDir },
    });
    expect(manifest.tables.find((t) => t.table === 'accounts')?.rows).toBe(504);
    const catalog = await readCatalog(storage, 'local');
    expect(catalog.map((e) => [e.id, e.complete])).toEqual([[id, true]]);
    const { record } = await verifyBackup({
      target: 'local',
      storage,
      id: 'latest',
      identity: keys.identity,
      workDir: join(dir, 'work'),
      restoreJobs: 2,
      metrics: { textfileDir },
      retry: defaultRetryPolicy,
      log: (m) => console.log(m),
    });
    console.log(JSON.stringify(record, null, 2));
    expect(record.ok).toBe(true);
  });
});
