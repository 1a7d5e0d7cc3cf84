/**
 * `backup schedule`: a ready daily job (03:00 UTC by default) that runs backup, then verify, then prune, and beside it
 * the weekly point-in-time recovery drill (Sundays, two hours later),
 * with secrets taken from the platform's secret store (GitHub Actions secrets, a Kubernetes Secret, a systemd credential file).
 */
import { stringify } from 'yaml';
import { PreflightError } from '../src/core/errors.js';

export type ScheduleFormat = 'github-actions' | 'k8s-cronjob' | 'systemd';

export interface ScheduleOptions {
  target: string;
  /** HH:MM in UTC. */
  at: string;
  storage?: string;
  /** Environment variables the job needs (all secrets). */
  secretEnv: string[];
  configPath: string;
  /** PostgreSQL major of the client and throwaway-cluster binaries the job installs (>= the server's). */
  pgMajor: number;
  image: string;
}

export function parseTimeOfDay(at: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(at);
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || hour > 23 || minute > 59) {
    throw new PreflightError('E_USAGE', `Expected \`--at\` to be HH:MM in UTC, got \`${at}\``, {
      hint: 'for example --at 03:00',
    });
  }
  return { hour, minute };
}

function getCommands(options: ScheduleOptions, cli: string): string[] {
  const common = [
    `--target ${options.target}`,
    `--config ${options.configPath}`,
    ...(options.storage ? [`--storage ${options.storage}`] : []),
  ].join(' ');
  return [
    `${cli} backup run ${common}`,
    `${cli} backup verify latest ${common}`,
    `${cli} backup prune --apply ${common}`,
  ];
}

/** The weekly point-in-time recovery drill: Sundays, two hours after the daily backup. */
export function getDrillSchedule(at: string): { hour: number; minute: number; cron: string } {
  const { hour, minute } = parseTimeOfDay(at);
  const drillHour = (hour + 2) % 24;
  return { hour: drillHour, minute, cron: `${minute} ${drillHour} * * 0` };
}

function getDrillCommand(options: ScheduleOptions, cli: string): string {
  return `${cli} backup drill --target ${options.target} --config ${options.configPath}${options.storage ? ` --storage ${options.storage}` : ''}`;
}

function renderGithubActions(options: ScheduleOptions): string {
  const { hour, minute } = parseTimeOfDay(options.at);
  const [run, verify, prune] = getCommands(options, 'npx preflight');
  const drill = getDrillSchedule(options.at);
  const env = Object.fromEntries([
    ...options.secretEnv.map((name) => [name, `\${{ secrets.${name} }}`]),
    ['PREFLIGHT_HOME', `\${{ runner.temp }}/preflight`],
  ]);
  const setup = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': 20, cache: 'npm' } },
    {
      name: `Install PostgreSQL ${options.pgMajor} (pg_dump must be at least the server's major)`,
      run: [
        'sudo apt-get update',
        'sudo apt-get install -y postgresql-common age',
        'sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y',
        `sudo apt-get install -y postgresql-${options.pgMajor} postgresql-client-${options.pgMajor}`,
        `echo "PREFLIGHT_PG_BINDIR=/usr/lib/postgresql/${options.pgMajor}/bin" >> "$GITHUB_ENV"`,
      ].join('\n'),
    },
    { run: 'npm ci' },
  ];
  const workflow = {
    name: `preflight backup (${options.target})`,
    on: { schedule: [{ cron: `${minute} ${hour} * * *` }, { cron: drill.cron }], workflow_dispatch: {} },
    concurrency: { group: `preflight-backup-${options.target}`, 'cancel-in-progress': false },
    permissions: { contents: 'read' },
    jobs: {
      backup: {
        if: `github.event.schedule != '${drill.cron}'`,
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 240,
        env,
        steps: [
          ...setup,
          { name: 'Backup', run },
          { name: 'Verify by restoring', run: verify },
          { name: 'Prune by retention', run: prune },
        ],
      },
      drill: {
        if: `github.event.schedule == '${drill.cron}' || github.event_name == 'workflow_dispatch'`,
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 240,
        env,
        steps: [
          ...setup,
          { name: 'Point-in-time recovery drill', run: getDrillCommand(options, 'npx preflight') },
        ],
      },
    },
  };
  return `# .github/workflows/preflight-backup-${options.target}.yml (daily at ${options.at} UTC; the PITR drill Sundays at ${String(drill.hour).padStart(2, '0')}:${String(drill.minute).padStart(2, '0')} UTC)\n# Secrets: ${options.secretEnv.join(', ')} (repository or environment secrets)\n${stringify(workflow, { lineWidth: 0 })}`;
}

function renderK8sCronJob(options: ScheduleOptions): string {
  const { hour, minute } = parseTimeOfDay(options.at);
  const commands = getCommands(options, 'preflight');
  const cronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: `preflight-backup-${options.target}`,
      labels: { 'app.kubernetes.io/name': 'preflight-backup' },
    },
    spec: {
      schedule: `${minute} ${hour} * * *`,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 4 * 3600,
          template: {
            spec: {
              restartPolicy: 'Never',
              securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 },
              containers: [
                {
                  name: 'backup',
                  image: options.image,
                  command: ['/bin/sh', '-c'],
                  args: [commands.join(' && \\\n  ')],
                  env: [
                    ...options.secretEnv.map((name) => ({
                      name,
                      valueFrom: { secretKeyRef: { name: `preflight-backup-${options.target}`, key: name } },
                    })),
                    { name: 'PREFLIGHT_HOME', value: '/work' },
                    { name: 'PREFLIGHT_PG_BINDIR', value: `/usr/lib/postgresql/${options.pgMajor}/bin` },
                  ],
                  resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '4Gi' } },
                  volumeMounts: [
                    { name: 'config', mountPath: '/etc/preflight', readOnly: true },
                    { name: 'work', mountPath: '/work' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'preflight-config' } },
                { name: 'work', emptyDir: { sizeLimit: '50Gi' } },
              ],
            },
          },
        },
      },
    },
  };
  const drill = getDrillSchedule(options.at);
  const drillJob = structuredClone(cronJob);
  drillJob.metadata.name = `preflight-drill-${options.target}`;
  drillJob.spec.schedule = drill.cron;
  const drillContainer = drillJob.spec.jobTemplate.spec.template.spec.containers[0];
  if (drillContainer) {
    drillContainer.name = 'drill';
    drillContainer.args = [getDrillCommand(options, 'preflight')];
  }
  return `# kubectl apply -f preflight-backup-${options.target}.yaml (daily at ${options.at} UTC; the PITR drill weekly, second document)\n# Secret: kubectl create secret generic preflight-backup-${options.target} ${options.secretEnv.map((n) => `--from-literal=${n}=...`).join(' ')}\n# The image needs preflight, Node 20 and PostgreSQL ${options.pgMajor} client and server binaries; verify restores into a throwaway cluster in /work.\n${stringify(cronJob, { lineWidth: 0 })}---\n${stringify(drillJob, { lineWidth: 0 })}`;
}

function renderSystemd(options: ScheduleOptions): string {
  const { hour, minute } = parseTimeOfDay(options.at);
  const commands = getCommands(options, '/usr/bin/env preflight');
  const unit = `preflight-backup-${options.target}`;
  const drillUnit = `preflight-drill-${options.target}`;
  const drill = getDrillSchedule(options.at);
  const drillAt = `${String(drill.hour).padStart(2, '0')}:${String(drill.minute).padStart(2, '0')}`;
  return `# /etc/systemd/system/${unit}.service
[Unit]
Description=preflight backup, verify and prune of ${options.target}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=preflight
Group=preflight
WorkingDirectory=/var/lib/preflight
# Secrets (${options.secretEnv.join(', ')}) live in a root-owned 0600 file, never in the unit
EnvironmentFile=/etc/preflight/${unit}.env
Environment=PREFLIGHT_HOME=/var/lib/preflight
Environment=PREFLIGHT_PG_BINDIR=/usr/lib/postgresql/${options.pgMajor}/bin
# oneshot runs each ExecStart in order and stops at the first failure: no verify without a backup
${commands.map((c) => `ExecStart=${c}`).join('\n')}
TimeoutStartSec=4h
PrivateTmp=true
NoNewPrivileges=true

# /etc/systemd/system/${unit}.timer
[Unit]
Description=Daily preflight backup of ${options.target} at ${options.at} UTC

[Timer]
OnCalendar=*-*-* ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00 UTC
Persistent=true
Unit=${unit}.service

[Install]
WantedBy=timers.target

# Enable: systemctl daemon-reload && systemctl enable --now ${unit}.timer

# /etc/systemd/system/${drillUnit}.service
[Unit]
Description=preflight point-in-time recovery drill of ${options.target}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=preflight
Group=preflight
WorkingDirectory=/var/lib/preflight
EnvironmentFile=/etc/preflight/${unit}.env
Environment=PREFLIGHT_HOME=/var/lib/preflight
Environment=PREFLIGHT_PG_BINDIR=/usr/lib/postgresql/${options.pgMajor}/bin
ExecStart=${getDrillCommand(options, '/usr/bin/env preflight')}
TimeoutStartSec=4h
PrivateTmp=true
NoNewPrivileges=true

# /etc/systemd/system/${drillUnit}.timer
[Unit]
Description=Weekly preflight PITR drill of ${options.target}, Sundays at ${drillAt} UTC

[Timer]
OnCalendar=Sun *-*-* ${drillAt}:00 UTC
Persistent=true
Unit=${drillUnit}.service

[Install]
WantedBy=timers.target

# Enable: systemctl enable --now ${drillUnit}.timer
`;
}

export function renderSchedule(format: ScheduleFormat, options: ScheduleOptions): string {
  switch (format) {
    case 'github-actions':
      return renderGithubActions(options);
    case 'k8s-cronjob':
      return renderK8sCronJob(options);
    case 'systemd':
      return renderSystemd(options);
  }
}
