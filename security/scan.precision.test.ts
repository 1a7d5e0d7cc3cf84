import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/core/config/load.js';
import { resolveTarget } from '../src/core/target.js';
import { planScan, runScan } from './scan.js';
import { runMain } from './test/run-main.js';
import { startTinyPlatform, type TinyPlatform } from './test/tiny-platform.js';
import { parseXml, validateSarif } from './test/validate.js';

let platform: TinyPlatform | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await platform?.close();
  platform = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const roles = ['studentA', 'studentB', 'instructor', 'admin'];
const env = { ...process.env, PF_TINY_PASSWORD: 'pw' };

function configFor(baseUrl: string, withAccounts = true) {
  return {
    targets: {
      tiny: {
        baseUrl,
        origin: 'https://app.example.com',
        accounts: Object.fromEntries(
          (withAccounts ? roles : []).map((role) => [
            role,
            { email: `${role}@example.com`, passwordEnv: 'PF_TINY_PASSWORD' },
          ]),
        ),
      },
    },
  };
}
const targetFor = (baseUrl: string, withAccounts = true) =>
  resolveTarget(validateConfig(configFor(baseUrl, withAccounts)), 'tiny', {
    env: { PF_TINY_PASSWORD: 'pw' },
  });

async function runCli(args: string[], baseUrl: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'preflight-scan-precision-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'preflight.yaml'), JSON.stringify(configFor(baseUrl)));
  return { ...(await runMain(['scan', '--target', 'tiny', ...args], { cwd, env })), cwd };
}

describe('scan precision against a tiny local API', () => {
  it('a connection reset (RST) on the first request is resent: the scan completes with a report, not exit 3', async () => {
    platform = await startTinyPlatform({ resetRequests: [1], resetHow: 'rst' });
    const run = await runCli(
      ['--only', 'headers', '--format', 'json,sarif', '--out', 'reports', '--fail-on', 'high'],
      platform.url,
    );
    expect(run.stderr).not.toMatch(/E_TARGET_UNREACHABLE|internal error/);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(run.cwd, 'reports', 'preflight-scan.json'), 'utf8'));
    expect(report.resent).toBe(1);
    expect(report.transientErrors).toEqual([
      expect.stringMatching(/^GET \/api\/v1\/health: ECONNRESET \(resent\)$/),
    ]);
    const sarif = JSON.parse(readFileSync(join(run.cwd, 'reports', 'preflight-scan.sarif'), 'utf8'));
    expect(validateSarif(sarif)).toEqual([]);
    expect(
      sarif.runs[0].invocations[0].toolExecutionNotifications.map(
        (n: { descriptor: { id: string } }) => n.descriptor.id,
      ),
    ).toContain('transient-socket-error');
    // the reset request was really made, then made again
    expect(platform.requests.slice(0, 2)).toEqual(['GET /api/v1/health', 'GET /api/v1/health']);
  });

  it('connections closed mid-scan (socket hang up) are resent and every probe still completes', async () => {
    platform = await startTinyPlatform({ resetRequests: [1, 6, 7], resetHow: 'close' });
    const result = await runScan(planScan(targetFor(platform.url), { only: ['headers', 'cors', 'jwt'] }));
    expect(result.probes.map((p) => [p.name, p.status])).toEqual([
      ['headers', 'ok'],
      ['cors', 'ok'],
      ['jwt', 'ok'],
    ]);
    expect(result.resent).toBe(3);
    expect(result.transientErrors).toHaveLength(3);
  });

  it('a request that fails for good inside a probe ends that probe in error; the scan completes while the target answers', async () => {
    // 1: reachability, 2-3: OpenAPI lookups, 4: the headers probe's request, reset 3 times (the send and 2 resends)
    platform = await startTinyPlatform({ resetRequests: [4, 5, 6], resetHow: 'rst' });
    const result = await runScan(planScan(targetFor(platform.url), { only: ['headers'], concurrency: 1 }));
    expect(result.probes.map((p) => [p.name, p.status])).toEqual([['headers', 'error']]);
    expect(result.probes[0]!.notes[0]).toMatch(
      /^probe failed: Target "tiny" did not answer at .* \(ECONNRESET\)$/,
    );
    // the health route was asked again and answered, so this is not an unreachable target
    expect(platform.requests.at(-1)).toBe('GET /api/v1/health');
  });

  it('a target that keeps resetting is unreachable after the bounded resends (exit 3)', async () => {
    platform = await startTinyPlatform({ resetRequests: [1, 2, 3, 4], resetHow: 'rst' });
    const run = await runCli(['--only', 'headers'], platform.url);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error\[E_TARGET_UNREACHABLE\]: Target "tiny" did not answer at .*ECONNRESET/);
    // the first request and its 2 resends, nothing more
    expect(platform.requests).toHaveLength(3);
  });

  it('a route answering 405 gives no BODY-SIZE-UNLIMITED but a not-run entry in every report format', async () => {
    platform = await startTinyPlatform({
      methodNotAllowed: ['POST /api/v1/bookings/check-availability'],
      discovery: false,
    });
    const run = await runCli(
      [
        '--only',
        'headers,resource,authz',
        '--format',
        'table,json,sarif,junit,md',
        '--out',
        'reports',
        '--fail-on',
        'high',
      ],
      platform.url,
    );
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const reports = join(run.cwd, 'reports');
    const json = JSON.parse(readFileSync(join(reports, 'preflight-scan.json'), 'utf8'));
    expect(json.findings.map((f: { ruleId: string }) => f.ruleId)).not.toContain('BODY-SIZE-UNLIMITED');
    expect(json.findings.map((f: { ruleId: string }) => f.ruleId)).not.toContain('HDR-HSTS-MISSING');
    const notRun = json.notRun as Array<{ probe: string; check: string; reason: string }>;
    expect(notRun).toEqual(
      expect.arrayContaining([
        {
          probe: 'resource',
          check: 'body size limit (413)',
          reason:
            'POST /bookings/check-availability answered HTTP 405: the route does not exist there (set platform.routes.checkAvailability)',
        },
        { probe: 'headers', check: 'HSTS', reason: expect.stringMatching(/^the target is plain http/) },
        {
          probe: 'authz',
          check: 'BOLA',
          reason: expect.stringMatching(/^no bookable slot: no search of platform\.discoveryQueries/),
        },
      ]),
    );
    const sarif = JSON.parse(readFileSync(join(reports, 'preflight-scan.sarif'), 'utf8'));
    expect(validateSarif(sarif)).toEqual([]);
    const texts = sarif.runs[0].invocations[0].toolExecutionNotifications.map(
      (n: { message: { text: string } }) => n.message.text,
    );
    expect(texts).toContain(
      'resource: body size limit (413) not run: POST /bookings/check-availability answered HTTP 405: the route does not exist there (set platform.routes.checkAvailability)',
    );
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).not.toContain(
      'BODY-SIZE-UNLIMITED',
    );
    const junitXml = readFileSync(join(reports, 'preflight-scan.junit.xml'), 'utf8');
    parseXml(junitXml);
    expect(junitXml).toContain(
      '<testcase classname="preflight.scan.resource" name="body size limit (413): not run" time="0"><skipped message="not run: POST /bookings/check-availability answered HTTP 405',
    );
    expect(readFileSync(join(reports, 'preflight-scan.md'), 'utf8')).toMatch(
      /\| resource \| body size limit \(413\) \| POST \/bookings\/check-availability answered HTTP 405/,
    );
    expect(run.stdout).toMatch(
      /Not run \(\d+\):[\s\S]*resource +body size limit \(413\) +POST \/bookings\/check-availability answered HTTP 405/,
    );
  });

  it('BOLA books through search + public availability, then cancels the booking and reads it back as cancelled', async () => {
    platform = await startTinyPlatform();
    const result = await runScan(planScan(targetFor(platform.url), { only: ['authz'] }));
    const authz = result.probes[0]!;
    expect(authz.status).toBe('ok');
    expect(authz.notRun.map((n) => n.check)).not.toContain('BOLA');
    expect(platform.bookings.size).toBeGreaterThanOrEqual(1);
    expect([...platform.bookings.values()].map((b) => b.status)).toEqual(
      [...platform.bookings.values()].map(() => 'CANCELLED'),
    );
    // only the spec's routes were used to find the slot
    expect(
      platform.requests
        .filter((r) => /instructors|bookings/.test(r))
        .every((r) => !/^GET \/api\/v1\/instructors\?/.test(r)),
    ).toBe(true);
    expect(platform.requests).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GET \/api\/v1\/search\?q=/),
        expect.stringMatching(/^GET \/api\/v1\/public\/instructors\/\w+\/availability\?start_date=/),
      ]),
    );
  });

  it('a test booking the cancel route leaves active is an error of the scan (exit 1), with its id', async () => {
    platform = await startTinyPlatform({ brokenCancel: true });
    const run = await runCli(['--only', 'authz', '--fail-on', 'high'], platform.url);
    expect(run.code).toBe(1);
    const [id] = [...platform.bookings.keys()];
    expect(run.stdout).toContain(
      `ERROR in probe authz: error: test booking ${id} was not cancelled: GET /bookings/{booking_id} shows PENDING instead of CANCELLED; cancel it by hand`,
    );
    expect(run.stdout).toMatch(/FAIL: 1 probe\(s\) ended in error/);
  });

  it('a booking request whose connection breaks is not resent; the scan reports the possible leftover as an error', async () => {
    platform = await startTinyPlatform({ resetAfterFirstBooking: true });
    const result = await runScan(planScan(targetFor(platform.url), { only: ['authz'] }));
    const authz = result.probes[0]!;
    expect(platform.requests.filter((r) => r === 'POST /api/v1/bookings')).toHaveLength(1);
    expect(authz.status).toBe('error');
    expect(authz.notes[0]).toMatch(
      /^error: the connection broke during POST \/bookings: a test booking may exist for \w+ on \d{4}-\d\d-\d\d at \d\d:00 that the scan cannot cancel \(no id\); check and cancel it by hand$/,
    );
    expect(result.transientErrors).toEqual([
      expect.stringMatching(
        /^POST \/api\/v1\/bookings: ECONNRESET \(not resent: it must not be made twice\)$/,
      ),
    ]);
  });

  it('login and me routes that do not exist give not-run entries, not AUTHN-NO-LOGIN-THROTTLE or CORS findings', async () => {
    platform = await startTinyPlatform({
      methodNotAllowed: ['POST /api/v1/auth/login', 'GET /api/v1/auth/me'],
    });
    // no accounts: the session never logs in, so only the probes' own login attempts meet the 405
    const result = await runScan(planScan(targetFor(platform.url, false), { only: ['cors', 'authn'] }));
    expect(result.findings.map((f) => f.ruleId)).toEqual([]);
    const notRun = result.probes.flatMap((p) => p.notRun.map((n) => `${p.name}: ${n.check}: ${n.reason}`));
    expect(notRun).toEqual(
      expect.arrayContaining([
        'cors: CORS: GET /auth/me answered HTTP 405 to every Origin: the route does not exist there (set platform.routes.me)',
        'authn: login throttling: POST /auth/login answered HTTP 405: the route does not exist there (set platform.routes.login)',
      ]),
    );
  });
});
