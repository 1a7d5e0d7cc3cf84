/** The preflight.yaml schema: every key with its description and default. */

import { platformSchema } from '../platform/schema.js';
import {
  array,
  boolean,
  type Infer,
  number,
  object,
  oneOf,
  optional,
  record,
  string,
  url,
} from './schema-kit.js';

const envName = (description: string, defaultName?: string) =>
  string({
    description: `${description} (the NAME of an environment variable; secrets never live in the config file)`,
    ...(defaultName === undefined ? {} : { default: defaultName }),
    pattern: /^[A-Z_][A-Z0-9_]*$/,
    patternHint: 'an environment variable name such as PREFLIGHT_STUDENT_A_PASSWORD',
  });

const account = object(
  {
    email: string({ description: 'Login email of the test account' }),
    passwordEnv: envName('Variable holding the account password'),
  },
  { description: 'A test account', optional: true },
);

export const targetSchema = object(
  {
    baseUrl: optional(
      url({
        description:
          'Base URL of the API, without /api/v1 (every command but `backup` needs it; a backups-only target needs only `database`)',
      }),
    ),
    production: boolean({
      description: 'Marks a production target: load tests then need --i-understand-this-is-production',
      default: false,
    }),
    environment: string({
      description: 'Environment label used in reports and monitoring',
      default: 'staging',
    }),
    allowedHosts: array(string({ description: 'A host name' }), {
      description:
        'Hosts that load and probes may reach besides the baseUrl host; nothing else is ever contacted',
      default: [],
    }),
    auth: object(
      {
        style: oneOf(['bearer', 'cookie'] as const, {
          description: 'How the access token is sent',
          default: 'bearer',
        }),
        cookieName: string({ description: 'Access-token cookie set by login', default: 'sid' }),
      },
      { description: 'Authentication style' },
    ),
    accounts: object(
      {
        studentA: account,
        studentB: account,
        instructor: account,
        admin: account,
      },
      { description: 'Test accounts used by load scenarios and probes (never real users)' },
    ),
    origin: optional(
      url({ description: 'Origin header sent on every request (the platform checks it for CSRF)' }),
    ),
    rateLimitBypass: optional(
      object(
        {
          header: string({ description: 'Header name', default: 'X-Rate-Limit-Bypass' }),
          tokenEnv: envName('Variable holding the bypass token'),
        },
        { description: 'Header that skips rate limits for load tests', optional: true },
      ),
    ),
    rateLimits: object(
      {
        globalPerIpPerMinute: number({
          description: 'Global requests per IP per minute',
          default: 150,
          min: 1,
          integer: true,
        }),
        loginPerIpPerMinute: number({
          description: 'Login attempts per IP per minute',
          default: 20,
          min: 1,
          integer: true,
        }),
        loginPerEmailPerMinute: number({
          description: 'Login attempts per email per minute',
          default: 5,
          min: 1,
          integer: true,
        }),
        bookingsPerUserPerMinute: number({
          description: 'POST /bookings per user per minute',
          default: 20,
          min: 1,
          integer: true,
        }),
      },
      { description: 'Rate limits the target is expected to enforce' },
    ),
    slo: object(
      {
        p95Ms: number({ description: 'p95 latency objective in ms', default: 300, min: 1 }),
        p99Ms: number({ description: 'p99 latency objective in ms', default: 1000, min: 1 }),
        latencyBucketSeconds: optional(
          number({
            description:
              'Histogram bucket (`le`, seconds) the latency SLO counts as fast; default: the largest standard Prometheus bucket <= p95Ms (the target must export it)',
            min: 0,
          }),
        ),
        errorRate: number({ description: 'Maximum error ratio', default: 0.01, min: 0, max: 1 }),
        recoverySeconds: number({
          description:
            '`load run connection-loss`: most seconds after the database connections drop until the per-second error rate and p95 are back within the SLO',
          default: 10,
          min: 0,
        }),
        connectionLossFailedRate: number({
          description: '`load run connection-loss`: maximum ratio of failed requests over the whole run',
          default: 0.01,
          min: 0,
          max: 1,
        }),
        availability: number({
          description: 'Availability objective over 30 days',
          default: 0.995,
          min: 0.5,
          max: 1,
        }),
      },
      { description: 'Service level objectives' },
    ),
    database: object(
      {
        readonlyUrlEnv: optional(
          envName('Variable holding a read-only PostgreSQL URL (invariant checks, pg_stat_activity)'),
        ),
        adminUrlEnv: optional(
          envName(
            'Variable holding an admin PostgreSQL URL (backups: direct connection or session pooler on 5432)',
          ),
        ),
      },
      { description: 'Database access' },
    ),
    pool: object(
      {
        poolerUrlEnv: optional(
          envName(
            'Variable holding a pooled PostgreSQL URL (through PgBouncer/Supavisor) that `monitor pool` probes with SELECT 1',
          ),
        ),
        poolerAdminUrlEnv: optional(
          envName(
            'Variable holding the PgBouncer admin console URL (database `pgbouncer`) for SHOW POOLS / SHOW STATS',
          ),
        ),
        supabaseMetricsUrl: optional(
          url({
            description:
              'Metrics endpoint with the pooler series (Supabase: https://<ref>.supabase.co/customer/v1/privileged/metrics)',
          }),
        ),
        supabaseMetricsUsername: string({
          description: 'Basic auth user of supabaseMetricsUrl',
          default: 'service_role',
        }),
        supabaseMetricsPasswordEnv: optional(
          envName('Variable holding the basic auth password of supabaseMetricsUrl (the service_role key)'),
        ),
        probeIntervalSeconds: number({
          description: 'Seconds between the acquire probes and source polls of `monitor pool`',
          default: 5,
          min: 0.1,
        }),
        exporterAddress: string({
          description:
            'host:port where `monitor pool` serves /metrics; the Alloy config (`monitor alloy`) scrapes it as job `pool`',
          default: '127.0.0.1:9187',
          pattern: /^[^\s/:]+:\d{1,5}$/,
          patternHint: 'host:port, e.g. 127.0.0.1:9187',
        }),
        pgbouncerRestart: optional(
          object(
            {
              configFile: string({
                description:
                  'Path of the local pgbouncer.ini: connection-loss stops PgBouncer (SHUTDOWN) and starts `pgbouncer -d <file>` again',
              }),
            },
            {
              description:
                'Opt-in real restart of a local PgBouncer by connection-loss (default: KILL + RESUME on the admin console)',
            },
          ),
        ),
      },
      { description: 'Connection pool monitoring (`preflight monitor pool`)' },
    ),
    searchCheck: object(
      {
        minPrecision: number({
          description: 'Minimum overall precision of search results',
          default: 0.95,
          min: 0,
          max: 1,
        }),
        maxZeroResultRate: number({
          description: 'Maximum share of golden queries with zero results',
          default: 0.05,
          min: 0,
          max: 1,
        }),
      },
      { description: 'Thresholds of `preflight search-check`' },
    ),
    backup: object(
      {
        storage: optional(string({ description: 'Backup storage URL: file:///path or s3://bucket/prefix' })),
      },
      { description: 'Backup settings for this target' },
    ),
    grafana: object(
      {
        url: optional(url({ description: 'Grafana URL (Grafana Cloud stack)' })),
        prometheusUrl: optional(
          url({
            description:
              'Grafana Cloud Prometheus (Mimir) query URL the dashboards and alerts read (the data source)',
          }),
        ),
        remoteWriteUrl: optional(
          url({
            description: 'Grafana Cloud Prometheus remote-write URL the generated Alloy config sends to',
          }),
        ),
        remoteWriteUsernameEnv: envName(
          'Variable holding the Grafana Cloud Prometheus instance id (remote-write user)',
          'GRAFANA_CLOUD_PROMETHEUS_USERNAME',
        ),
        remoteWritePasswordEnv: envName(
          'Variable holding the Grafana Cloud access policy token that may write metrics',
          'GRAFANA_CLOUD_PROMETHEUS_TOKEN',
        ),
        probes: array(string({ description: 'A Synthetic Monitoring public probe name' }), {
          description: 'Probes that run the synthetic /health and /ready checks',
          default: ['Ohio', 'Frankfurt'],
        }),
      },
      { description: 'Monitoring settings for this target' },
    ),
    metricsAuth: optional(
      object(
        {
          username: string({ description: 'Basic auth user of the metrics endpoint', default: 'metrics' }),
          passwordEnv: envName('Variable holding the basic auth password of the metrics endpoint'),
        },
        {
          description: 'Basic auth of the platform metrics endpoint (omit when it is public)',
          optional: true,
        },
      ),
    ),
    supabaseMetrics: optional(
      object(
        {
          url: url({
            description:
              'Supabase metrics endpoint: https://<ref>.supabase.co/customer/v1/privileged/metrics',
          }),
          passwordEnv: envName(
            'Variable holding the service_role secret key (basic auth password, user service_role)',
          ),
        },
        { description: 'Supabase privileged metrics endpoint (postgres_exporter style)', optional: true },
      ),
    ),
    platform: platformSchema,
  },
  { description: 'A target platform' },
);

export const configSchema = object(
  {
    defaultTarget: string({ description: 'Target used when --target is not given', default: 'sandbox' }),
    targets: record(targetSchema, { description: 'Named targets', default: {} }),
    backups: object(
      {
        ageRecipients: array(
          string({
            description: 'An age recipient (age1...)',
            pattern: /^age1[0-9a-z]+$/,
            patternHint: 'an age public key starting with age1',
          }),
          {
            description: 'Recipients every backup is encrypted to',
            default: [],
          },
        ),
        ageIdentityEnv: string({
          description: 'Variable holding the age identity (AGE-SECRET-KEY-1...) that verify decrypts with',
          default: 'PREFLIGHT_AGE_IDENTITY',
          pattern: /^[A-Z_][A-Z0-9_]*$/,
          patternHint: 'an environment variable name',
        }),
        ageIdentityFile: optional(
          string({
            description:
              'age key file (as age-keygen -o wrote it, comments included) that verify decrypts with when the variable of ageIdentityEnv is unset',
          }),
        ),
        s3: object(
          {
            endpoint: optional(
              url({ description: 'S3 endpoint (R2, MinIO, Supabase Storage); AWS when omitted' }),
            ),
            region: string({ description: 'S3 region', default: 'auto' }),
            forcePathStyle: boolean({ description: 'Path-style addressing (MinIO, s3rver)', default: false }),
            accessKeyIdEnv: string({
              description: 'Variable holding the access key id',
              default: 'AWS_ACCESS_KEY_ID',
            }),
            secretAccessKeyEnv: string({
              description: 'Variable holding the secret access key',
              default: 'AWS_SECRET_ACCESS_KEY',
            }),
          },
          { description: 'S3-compatible storage settings' },
        ),
        retention: object(
          {
            daily: number({ description: 'Daily backups kept', default: 7, min: 0, integer: true }),
            weekly: number({ description: 'Weekly backups kept', default: 4, min: 0, integer: true }),
            monthly: number({ description: 'Monthly backups kept', default: 6, min: 0, integer: true }),
          },
          { description: 'Grandfather-father-son retention' },
        ),
        retry: object(
          {
            attempts: number({
              description: 'Attempts per storage request before a transient error fails the backup',
              default: 8,
              min: 1,
              integer: true,
            }),
            baseDelayMs: number({
              description: 'First retry delay in ms (doubles each attempt, full jitter)',
              default: 250,
              min: 0,
            }),
            maxDelayMs: number({ description: 'Longest retry delay in ms', default: 10_000, min: 0 }),
          },
          {
            description: 'Retries of transient storage and network errors (exponential backoff with jitter)',
          },
        ),
        checksum: oneOf(['hashcolumns', 'hashrecord', 'hashtext', 'md5'] as const, {
          description:
            "Row checksum recorded per table: hashcolumns (each column's own extended hash function, combined per row: cheapest, values compared by their type's equality), hashrecord (hash_record_extended of the row: builds each row first), hashtext (hash of the row text: exact text) or md5 (of the row text: slowest, independent of the server build). hashcolumns and hashrecord fall back to hashtext per table for a type without a hash function",
          default: 'hashcolumns',
        }),
        compressLevel: number({
          description: 'pg_dump -Z compression level of the custom-format dump (0-9)',
          default: 6,
          min: 0,
          max: 9,
          integer: true,
        }),
        restoreJobs: number({
          description: 'Parallel pg_restore jobs at verify (pg_restore -j)',
          default: 2,
          min: 1,
          integer: true,
        }),
        workDir: optional(
          string({
            description:
              'Scratch directory for verify downloads and restores (default: $PREFLIGHT_HOME/backups/work)',
          }),
        ),
        checksDir: optional(
          string({
            description:
              'Extra directory of invariant queries (*.sql, each returns zero rows when fine) run at verify besides backups/checks',
          }),
        ),
        storageTimeout: number({
          description:
            'Seconds one storage operation (a request with its retries, or an upload making no progress) may take before the run fails',
          default: 60,
          min: 1,
        }),
        pushgatewayUrl: optional(url({ description: 'Prometheus Pushgateway for backup metrics' })),
        textfileDir: optional(
          string({ description: 'node-exporter textfile directory used when no Pushgateway is set' }),
        ),
      },
      { description: 'Backups' },
    ),
    monitoring: object(
      {
        environments: array(string({ description: 'A target name' }), {
          description: 'Targets that get a monitoring stack (one cdktn stack each)',
          default: ['staging', 'production'],
        }),
        slackWebhookEnv: string({
          description: 'Variable holding the Slack webhook URL',
          default: 'GRAFANA_SLACK_WEBHOOK_URL',
        }),
        alertEmail: string({ description: 'Email contact point address', default: 'oncall@example.com' }),
        runbookBaseUrl: url({
          description:
            'Base URL of the runbooks; each alert links to <base>#<alert name in lower case> (monitoring/README.md has them)',
          default: 'https://github.com/preflight-launch/preflight/blob/main/monitoring/README.md',
        }),
      },
      { description: 'Monitoring as code' },
    ),
  },
  { description: 'preflight configuration (preflight.yaml)' },
);

export type PreflightConfig = Infer<typeof configSchema>;
export type TargetConfig = Infer<typeof targetSchema>;
