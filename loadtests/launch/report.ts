/** Terminal text of what the launch layer adds to a run (bottleneck, invariants, clean-up) and of a capacity search. */

import { formatTable, type Paint } from '../../src/core/output.js';
import { redact } from '../../src/core/redact.js';
import type { CapacityResult } from './capacity.js';
import { describeLeftover } from './cleanup.js';
import { describeConnectionLoss } from './connection-loss.js';
import { describeOverlap } from './invariants.js';
import type { LaunchRunResult } from './run.js';

const fmt = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

export function formatLaunchReport(result: LaunchRunResult, paint: Paint, verbose = false): string {
  const lines: string[] = [''];
  const b = result.bottleneck;
  lines.push(`${paint.bold('bottleneck')}: ${b.headline}`);
  if (b.bottleneck) lines.push(`  first resource to saturate: ${b.bottleneck.kind} at ${b.bottleneck.t}s`);
  for (const error of b.sampleErrors.slice(0, 3)) lines.push(paint.yellow(`  sampling: ${error}`));
  if (verbose && b.samples.length > 0) {
    lines.push(
      formatTable(
        ['t (s)', 'req/s', 'p95 ms', 'errors', 'pool %', 'waiting', 'db conns', 'db active'],
        b.samples.map((s) => [
          s.t,
          s.rps,
          fmt(s.p95),
          `${(s.errorRate * 100).toFixed(1)}%`,
          fmt(s.poolUsagePercent),
          fmt(s.poolWaiting),
          s.dbConnections === undefined ? '-' : `${s.dbConnections}/${s.maxConnections ?? '?'}`,
          fmt(s.dbActive),
        ]),
      ),
    );
  }
  for (const invariant of result.invariants) {
    lines.push(
      `${invariant.ok ? paint.green('invariant ok') : paint.red('INVARIANT BROKEN')}: ${invariant.name}`,
    );
    for (const v of invariant.violations.slice(0, 20)) lines.push(`  ${describeOverlap(v)}`);
    if (invariant.violations.length > 20)
      lines.push(`  ... and ${invariant.violations.length - 20} more (see launch.json)`);
  }
  const loss = result.connectionLoss;
  if (loss) {
    lines.push(
      `${loss.ok ? paint.green('connection loss survived') : paint.red('CONNECTION LOSS NOT SURVIVED')}: ${loss.ok ? 'within the recovery and failed-request thresholds' : loss.reasons.join('; ')}`,
    );
    for (const line of describeConnectionLoss(loss)) lines.push(`  ${line}`);
  }
  if (result.notRun) lines.push(paint.yellow(`NOT RUN: ${result.notRun}`));
  const c = result.cleanup;
  if (c.created === 0 && c.errors.length === 0) return redact(lines.join('\n'));
  lines.push(
    c.leftover.length === 0
      ? `clean-up: ${c.created} booking(s) created, ${c.removed} removed via ${c.method}; checked again: none active`
      : paint.red(
          `CLEAN-UP INCOMPLETE: ${c.leftover.length} of ${c.created} booking(s) still active: ${describeLeftover(c.leftover)}`,
        ),
  );
  for (const error of c.errors) lines.push(paint.yellow(`  ${error}`));
  return redact(lines.join('\n'));
}

export function formatCapacityReport(result: CapacityResult, paint: Paint): string {
  const lines = [
    formatTable(
      [
        'step',
        'phase',
        'target req/s',
        'achieved req/s',
        'dropped',
        ...(result.steps[0]?.observed.map((o) => o.clause) ?? []),
        'pool peak',
        'verdict',
      ],
      result.steps.map((s, i) => [
        i + 1,
        s.phase,
        s.targetRps,
        s.achievedRps,
        s.droppedIterations,
        ...s.observed.map((o) => fmt(o.value, o.clause.startsWith('rate') ? 4 : 1)),
        s.poolPeakPercent === undefined ? '-' : `${Math.round(s.poolPeakPercent)}%`,
        s.ok ? paint.green('meets SLO') : paint.red(s.reasons.join('; ')),
      ]),
    ),
    '',
  ];
  const verdict = result.kneeFound
    ? `capacity: ${paint.bold(`${result.capacityRps} req/s`)} meets "${result.slo}"; ${result.firstFailingRps} req/s does not (the knee)`
    : `capacity: at least ${paint.bold(`${result.capacityRps} req/s`)} (every step up to --max-rps met "${result.slo}"; no knee found)`;
  lines.push(verdict);
  if (result.bottleneck) lines.push(`bottleneck at the knee: ${result.bottleneck}`);
  if (result.minRps !== undefined)
    lines.push(
      result.belowFloor
        ? paint.red(`below the floor: --min-rps ${result.minRps}`)
        : `above the floor: --min-rps ${result.minRps}`,
    );
  return redact(lines.join('\n'));
}
