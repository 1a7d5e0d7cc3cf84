/** The native-payload age files are real age files: the `age` CLI and age-encryption read them, and they read theirs. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../src/core/process.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { createAgeKeygenKeys, createAgeKeys } from '../fixtures/support.js';
import { decryptAge, encryptAge } from './age-native.js';

const sizes = [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024, 1024 * 1024 + 17];

describe('age files with a native payload', () => {
  let dir: string;
  let keyFile: string;
  let keys: { identity: string; recipient: string };
  let other: { identity: string; recipient: string };

  beforeAll(async () => {
    dir = makeTempDir('age-native-');
    keyFile = join(dir, 'key.txt');
    [keys, other] = await Promise.all([createAgeKeygenKeys(keyFile), createAgeKeys()]);
  });

  it.each(sizes)('round-trips %i bytes through the age CLI and age-encryption, both ways', async (size) => {
    const plain = randomBytes(size);
    rmSync(join(dir, 'ours.out'), { force: true });
    const ours = await encryptAge(plain, [other.recipient, keys.recipient]);
    writeFileSync(join(dir, 'ours.age'), ours);
    await runTool('age', ['-d', '-i', keyFile, '-o', join(dir, 'ours.out'), join(dir, 'ours.age')]);
    // age writes no output file for an empty plaintext
    const out = join(dir, 'ours.out');
    expect((existsSync(out) ? readFileSync(out) : Buffer.alloc(0)).equals(plain)).toBe(true);
    writeFileSync(out, plain);
    const decrypter = new Decrypter();
    decrypter.addIdentity(keys.identity);
    expect(Buffer.from(await decrypter.decrypt(ours)).equals(plain)).toBe(true);

    await runTool('age', ['-r', keys.recipient, '-o', join(dir, 'theirs.age'), join(dir, 'ours.out')]);
    expect((await decryptAge(readFileSync(join(dir, 'theirs.age')), [keys.identity])).equals(plain)).toBe(
      true,
    );
    const encrypter = new Encrypter();
    encrypter.addRecipient(keys.recipient);
    expect((await decryptAge(await encrypter.encrypt(plain), [keys.identity])).equals(plain)).toBe(true);
  });

  it('fails on a wrong identity, a flipped payload bit, a truncated file and a dropped final chunk', async () => {
    const plain = randomBytes(3 * 64 * 1024 + 5);
    const sealed = await encryptAge(plain, [keys.recipient]);
    await expect(decryptAge(sealed, [other.identity])).rejects.toThrow(/no identity matched/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 10] = (flipped[flipped.length - 10] as number) ^ 1;
    await expect(decryptAge(flipped, [keys.identity])).rejects.toThrow(/chunk 3 failed to authenticate/);
    await expect(decryptAge(sealed.subarray(0, sealed.length - 3), [keys.identity])).rejects.toThrow(
      /failed to authenticate|truncated/,
    );
    // without its final chunk the file ends on a chunk not marked final
    await expect(decryptAge(sealed.subarray(0, sealed.length - 21), [keys.identity])).rejects.toThrow(
      /failed to authenticate/,
    );
  });
});
