import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import { runScenario } from '../run.js';

it('runs 12 sleeping VUs without piling abort listeners on the shared signal (no MaxListeners warning)', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  const path = writeScript(`
import { sleep } from 'k6';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 12, duration: '1s' } } };
export default async function () { await sleep(0.2); }
`);
  try {
    const result = await runScenario({ scenario: path, engine: 'native', resultsDir: false });
    expect(result.summary.metrics.iterations?.values.count).toBeGreaterThanOrEqual(12);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
    rmSync(dirname(path), { recursive: true, force: true });
  }
  expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
});
