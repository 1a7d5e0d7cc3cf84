import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { PreflightError } from '../src/core/errors.js';
import { parseTimeOfDay, renderSchedule, type ScheduleOptions } from './schedule.js';

const options: ScheduleOptions = {
  target: 'production',
  at: '03:00',
  storage: 's3://instainstru-backups/preflight',
  secretEnv: [
    'PROD_DATABASE_ADMIN_URL',
    'PREFLIGHT_AGE_IDENTITY',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ],
  configPath: 'preflight.yaml',
  pgMajor: 17,
  image: 'ghcr.io/acme/preflight:1.0.0',
};
const order = [/backup run/, /backup verify latest/, /backup prune --apply/];

describe('backup schedule', () => {
  it('github-actions: daily cron at 03:00 UTC, secrets from repository secrets, run -> verify -> prune', () => {
    const workflow = parse(renderSchedule('github-actions', options));
    expect(workflow.on.schedule).toEqual([{ cron: '0 3 * * *' }, { cron: '0 5 * * 0' }]);
    const job = workflow.jobs.backup;
    expect(job.if).toBe("github.event.schedule != '0 5 * * 0'");
    // the weekly PITR drill beside the daily backup, on its own cron
    const drill = workflow.jobs.drill;
    expect(drill.if).toContain("github.event.schedule == '0 5 * * 0'");
    expect(drill.steps.at(-1).run).toBe(
      'npx preflight backup drill --target production --config preflight.yaml --storage s3://instainstru-backups/preflight',
    );
    for (const name of options.secretEnv) expect(drill.env[name]).toBe(`\${{ secrets.${name} }}`);
    for (const name of options.secretEnv) expect(job.env[name]).toBe(`\${{ secrets.${name} }}`);
    const runs: string[] = job.steps
      .filter((s: { run?: string }) => s.run?.includes('preflight backup'))
      .map((s: { run: string }) => s.run);
    expect(runs).toHaveLength(3);
    runs.forEach((run, i) => {
      expect(run).toMatch(order[i]!);
      expect(run).toContain('--target production');
      expect(run).toContain('--storage s3://instainstru-backups/preflight');
    });
    expect(JSON.stringify(workflow)).toContain('postgresql-17');
    expect(workflow.concurrency['cancel-in-progress']).toBe(false);
  });

  it('k8s-cronjob: batch/v1 CronJob in UTC, secrets from a Kubernetes Secret, commands chained with &&', () => {
    const [cronJob, drillJob] = parseAllDocuments(
      renderSchedule('k8s-cronjob', { ...options, at: '02:30' }),
    ).map((d) => d.toJS());
    expect(drillJob.metadata.name).toBe('preflight-drill-production');
    expect(drillJob.spec.schedule).toBe('30 4 * * 0');
    expect(drillJob.spec.jobTemplate.spec.template.spec.containers[0].args).toEqual([
      'preflight backup drill --target production --config preflight.yaml --storage s3://instainstru-backups/preflight',
    ]);
    expect(cronJob).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { schedule: '30 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' },
    });
    const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/acme/preflight:1.0.0');
    const secretRefs = container.env
      .filter((e: { valueFrom?: unknown }) => e.valueFrom)
      .map((e: { name: string; valueFrom: { secretKeyRef: { name: string } } }) => [
        e.name,
        e.valueFrom.secretKeyRef.name,
      ]);
    expect(secretRefs).toEqual(options.secretEnv.map((n) => [n, 'preflight-backup-production']));
    const script: string = container.args[0];
    const positions = order.map((re) => script.search(re));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(script.match(/&&/g)).toHaveLength(2);
    expect(cronJob.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('systemd: oneshot service with ordered ExecStart lines, secrets in an EnvironmentFile, daily UTC timer', () => {
    const text = renderSchedule('systemd', options);
    const execs = text.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(execs).toHaveLength(4);
    expect(execs[3]).toContain('preflight backup drill --target production');
    expect(text).toContain('OnCalendar=Sun *-*-* 05:00:00 UTC');
    execs.slice(0, 3).forEach((line, i) => {
      expect(line).toMatch(order[i]!);
    });
    expect(text).toContain('Type=oneshot');
    expect(text).toContain('EnvironmentFile=/etc/preflight/preflight-backup-production.env');
    expect(text).toContain('OnCalendar=*-*-* 03:00:00 UTC');
    expect(text).toContain('Persistent=true');
    for (const name of options.secretEnv) expect(text).not.toMatch(new RegExp(`${name}=`));
  });

  it('rejects a malformed --at naming the option and the value', () => {
    expect(() => parseTimeOfDay('25:00')).toThrow(PreflightError);
    expect(() => parseTimeOfDay('3am')).toThrow('Expected `--at` to be HH:MM in UTC, got `3am`');
    expect(parseTimeOfDay('7:05')).toEqual({ hour: 7, minute: 5 });
  });
});
