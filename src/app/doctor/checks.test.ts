import { describe, expect, it } from 'vitest';
import { type DoctorCheck, decideExitCode, readMajor } from './checks.js';
import { checkNode } from './local-tools.js';
import { checkPgDumpCompat } from './target-checks.js';

function check(fields: Partial<DoctorCheck> & Pick<DoctorCheck, 'id' | 'group' | 'status'>): DoctorCheck {
  return { name: fields.id, required: false, version: null, detail: '', hint: null, ...fields };
}

describe('doctor decisions', () => {
  it('fails an old Node with an install hint, and that is exit 4', () => {
    const old = checkNode('18.19.0');
    expect(old).toMatchObject({
      status: 'fail',
      required: true,
      version: '18.19.0',
      hint: expect.stringContaining('Node 20'),
    });
    expect(decideExitCode([old], false)).toBe(4);
    expect(checkNode('20.0.0').status).toBe('ok');
    expect(checkNode('22.11.0').status).toBe('ok');
  });

  it('orders exit codes: missing tool 4, bad config 2, explicit target down 3, else 0', () => {
    const missingTool = check({ id: 'pg_dump', group: 'postgresql', status: 'missing', required: true });
    const missingOptional = check({ id: 'k6', group: 'optional', status: 'missing' });
    const badConfig = check({ id: 'config', group: 'runtime', status: 'fail' });
    const targetDown = check({ id: 'target-health', group: 'target', status: 'fail' });
    expect(decideExitCode([missingOptional], true)).toBe(0);
    expect(decideExitCode([missingTool, badConfig, targetDown], true)).toBe(4);
    expect(decideExitCode([badConfig, targetDown], true)).toBe(2);
    expect(decideExitCode([targetDown], true)).toBe(3);
    expect(decideExitCode([targetDown], false)).toBe(0);
  });

  it('judges pg_dump against the server major version', () => {
    expect(checkPgDumpCompat('16.4', { path: '/bin/pg_dump', version: '15.18' })).toMatchObject({
      status: 'fail',
      hint: expect.stringContaining('postgresql-client-16'),
    });
    expect(checkPgDumpCompat('15.2', { path: '/bin/pg_dump', version: '16.1' }).status).toBe('ok');
    expect(checkPgDumpCompat('15.2', undefined)).toMatchObject({ status: 'missing', required: true });
    expect(
      decideExitCode([checkPgDumpCompat('16.4', { path: '/bin/pg_dump', version: '15.18' })], false),
    ).toBe(4);
    expect([readMajor('v20.11.1'), readMajor('18beta1'), readMajor(null)]).toEqual([20, 18, null]);
  });
});
