/** The AWS SDK is loaded only when an s3:// storage is used: file storage (and an unused S3 one) never import it. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

// a module hook that refuses @aws-sdk/*: an import of it anywhere fails loudly
const hooks = `export async function resolve(s, c, next) { if (s.startsWith('@aws-sdk/')) throw new Error('AWS SDK loaded: ' + s); return next(s, c); }`;
const register = `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);`;

describe('openStorage loads the S3 client lazily', () => {
  it('file storage works without the AWS SDK; an S3 storage loads it at its first call', async () => {
    const dir = makeTempDir('lazy-s3-');
    writeFileSync(join(dir, 'hooks.mjs'), hooks);
    writeFileSync(join(dir, 'register.mjs'), register);
    const script = `
      const { openStorage } = await import(${JSON.stringify(join(root, 'dist/backups/storage/index.js'))});
      const backups = { s3: { accessKeyIdEnv: 'NO_KEY', secretAccessKeyEnv: 'NO_SECRET', region: 'us-east-1', forcePathStyle: true }, retry: { attempts: 1 }, storageTimeout: 5 };
      const file = openStorage(${JSON.stringify(join(dir, 'store'))}, backups);
      await file.putBytes('a/b', 'hello');
      const back = (await file.getBytes('a/b')).toString();
      await file.close();
      const s3 = openStorage('s3://bucket/prefix', backups);
      const shown = s3.displayUrl;
      await s3.close();
      const used = await s3.exists('x').then(() => 'no error', (e) => e.message);
      console.log(JSON.stringify({ back, shown, used }));`;
    const { stdout } = await run(
      process.execPath,
      ['--import', join(dir, 'register.mjs'), '--input-type=module', '-e', script],
      { cwd: dir },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(out.back).toBe('hello');
    expect(out.shown).toBe('s3://bucket/prefix');
    expect(out.used).toContain('AWS SDK loaded: @aws-sdk/');
  }, 60_000);
});
