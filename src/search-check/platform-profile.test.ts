import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config/load.js';
import { resolveTarget } from '../core/target.js';
import { type FakeSearchMode, type FakeSearchServer, startFakeSearchServer } from './fake-search-server.js';
import { runSearchCheck } from './run.js';

const servers: FakeSearchServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Spec field name -> the name a platform with its own API uses. */
const renameFields = {
  results: 'hits',
  instructor_id: 'teacher_ref',
  best_match: 'top_offer',
  service_catalog_id: 'catalog_ref',
  name: 'title',
  min_hourly_rate: 'price_from',
  other_matches: 'more_offers',
  meta: 'info',
  parsed: 'understood',
  max_price: 'budget',
  service_query: 'subject',
  soft_filtering_used: 'relaxed',
};

/** The same names as a `platform:` override in preflight.yaml. */
const platform = {
  apiPrefix: '/v2',
  routes: { search: { path: '/lessons/find', requiredQuery: ['text'] } },
  search: {
    queryParam: 'text',
    limitParam: 'n',
    maxLimit: 25,
    resultsField: 'hits',
    instructorIdField: 'teacher_ref',
    bestMatchField: 'top_offer',
    serviceCatalogIdField: 'catalog_ref',
    serviceNameField: 'title',
    minHourlyRateField: 'price_from',
    otherMatchesField: 'more_offers',
    metaField: 'info',
    parsedField: 'understood',
    maxPriceField: 'budget',
    serviceQueryField: 'subject',
    softFilteringField: 'relaxed',
  },
};

async function startRenamed(mode: FakeSearchMode): Promise<FakeSearchServer> {
  const server = await startFakeSearchServer(mode, {
    searchPath: '/v2/lessons/find',
    queryParam: 'text',
    limitParam: 'n',
    renameFields,
  });
  servers.push(server);
  return server;
}

function targetFor(baseUrl: string, profile: object | null = platform) {
  const config = validateConfig({
    targets: { renamed: { baseUrl, ...(profile ? { platform: profile } : {}) } },
  });
  return resolveTarget(config, 'renamed', { env: {} });
}

describe('search-check reads route, parameters and fields from the target platform profile', () => {
  it('passes a service-level search on a platform with its own route and field names', async () => {
    const fake = await startRenamed('service');
    const report = await runSearchCheck(targetFor(fake.baseUrl));
    expect(report.summary.erroredQueries).toBe(0);
    expect(report.summary.constraintSatisfactionRate).toBe(1);
    expect(report.ok).toBe(true);
    for (const r of fake.requests) expect(r.url).toMatch(/^\/v2\/lessons\/find\?text=.+&n=20$/);
    // soft filtering and the parsed price are read through `relaxed` and `understood.budget`
    const yoga = report.queries.find((q) => q.q === 'yoga 45 per hour');
    expect(yoga).toMatchObject({ softFilteringUsed: true, failing: false, parsed: { maxPrice: 45 } });
    const piano = report.queries.find((q) => q.q === 'piano under $80')!;
    expect(piano.results[0]).toMatchObject({ instructorId: expect.stringMatching(/^01HX/) });
  });

  it('names wrong services and prices read through the renamed fields', async () => {
    const category = await runSearchCheck(targetFor((await startRenamed('category')).baseUrl));
    expect(category.ok).toBe(false);
    const piano = category.queries.find((q) => q.q === 'piano under $80')!;
    expect(piano.problems[0]).toMatch(/^\d+\/\d+ results not piano: .*\(Music\)/);
    const price = await runSearchCheck(targetFor((await startRenamed('ignore-price')).baseUrl));
    expect(price.queries.find((q) => q.q === 'piano under $80')?.problems[0]).toMatch(
      /^\d+\/8 results above \$80: \$102/,
    );
  });

  it('limits `limit` to the profile maxLimit and names the renamed results field in shape errors', async () => {
    const fake = await startRenamed('service');
    await expect(runSearchCheck(targetFor(fake.baseUrl), { limit: 30 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'Expected `limit` to be an integer from 1 to 25, got `30`',
    });
    const wrongField = { ...platform, search: { ...platform.search, resultsField: 'offers' } };
    const shape = await runSearchCheck(targetFor(fake.baseUrl, wrongField));
    expect(shape.queries[0]!.error).toBe('not a search response: `offers` is not a list');
    // the spec's route and names do not fit this platform: without the override every query fails
    const spec = await runSearchCheck(targetFor(fake.baseUrl, null));
    expect(spec.ok).toBe(false);
    expect(spec.summary.erroredQueries).toBe(spec.summary.queries);
  });
});
