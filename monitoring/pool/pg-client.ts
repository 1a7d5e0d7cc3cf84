/** One kept-open pg client for a source: connects on first use, is dropped (and reconnected later) on failure. */
import pg from 'pg';

export interface KeptClient {
  query<R extends pg.QueryResultRow>(text: string): Promise<R[]>;
  drop(): Promise<void>;
}

export function keepClient(url: string, config: Partial<pg.ClientConfig> = {}): KeptClient {
  let client: pg.Client | undefined;
  const drop = async () => {
    const old = client;
    client = undefined;
    await old?.end().catch(() => undefined);
  };
  return {
    async query<R extends pg.QueryResultRow>(text: string) {
      if (!client) {
        const fresh = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, ...config });
        // a server that goes away emits 'error' on an idle client; the next query fails and drops it
        fresh.on('error', () => undefined);
        try {
          await fresh.connect();
        } catch (error) {
          await fresh.end().catch(() => undefined);
          throw error;
        }
        client = fresh;
      }
      const result = await client.query<R>(text);
      return result.rows;
    },
    drop,
  };
}
