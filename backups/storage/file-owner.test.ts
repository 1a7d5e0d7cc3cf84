// File storage as root: directories it creates take the storage root's owner, so PostgreSQL's archive_command
// (`preflight wal push`, run as the server's user) can write beside a root-run backup.
import { execFileSync } from 'node:child_process';
import { chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { createFileStorage } from './file.js';

const isRoot = process.getuid?.() === 0;
const postgres = (() => {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    return undefined;
  }
})();

describe('file storage directory owners', () => {
  it('new directories under a root owned by another user take that owner when preflight runs as root', async () => {
    const root = makeTempDir('preflight-storage-owner-');
    const owner = isRoot && postgres ? postgres : { uid: process.getuid!(), gid: process.getgid!() };
    if (isRoot && postgres) chownSync(root, owner.uid, owner.gid);
    const storage = createFileStorage(root);
    await storage.putBytes('prod/base/20261130T000000Z-abcdef/manifest.json', '{}');
    for (const dir of ['prod', 'prod/base', 'prod/base/20261130T000000Z-abcdef']) {
      const st = statSync(join(root, dir));
      expect({ dir, uid: st.uid, gid: st.gid }).toEqual({ dir, uid: owner.uid, gid: owner.gid });
    }
    // an existing directory is left as it is
    await storage.putBytes('prod/wal/00000001/000000010000000000000001.age', 'x');
    expect(statSync(join(root, 'prod/wal/00000001')).uid).toBe(owner.uid);
    await storage.close();
  });
});
