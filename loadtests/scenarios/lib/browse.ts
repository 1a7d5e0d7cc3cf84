// The read-only browse flow: search, then one result's availability (soak and spike run it).
import { check, sleep } from 'k6';
import { readBestMatches } from '../../../src/core/platform/discovery.js';
import { platform } from './platform.js';
import { thinkTime } from './profile.js';
import { pickTier, readWeights, search } from './search.js';
import { listFreeStarts, pickRandom } from './slots.js';

const weights = readWeights(__ENV.SEARCH_WEIGHTS);

export async function browse(thinkSeconds: number): Promise<void> {
  const found = await search(pickTier(weights));
  await sleep(thinkTime(thinkSeconds));
  const instructorId = pickRandom(readBestMatches(platform, found))?.instructorId;
  if (!instructorId) return;
  const starts = await listFreeStarts(instructorId, { days: 7 });
  check(starts, { 'availability lists free starts': (s) => Array.isArray(s) });
  await sleep(thinkTime(thinkSeconds));
}
