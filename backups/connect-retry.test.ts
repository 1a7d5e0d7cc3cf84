import { describe, expect, it } from 'vitest';
import { getFreePort } from '../src/core/net.js';
import { getAttemptCount } from '../src/core/pg/retry.js';
import { connectAdmin } from './snapshot.js';

describe('backup admin connection', () => {
  it('retries a refused connection with the core policy, then fails naming the attempts (no password shown)', async () => {
    const port = await getFreePort();
    const error = await connectAdmin(`postgres://admin:s3cret-pw@127.0.0.1:${port}/app`).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'E_TARGET_UNREACHABLE' });
    expect(getAttemptCount(error)).toBe(6);
    expect((error as Error).message).toMatch(
      /^Connecting to .*127\.0\.0\.1.* failed after 6 attempts .*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
