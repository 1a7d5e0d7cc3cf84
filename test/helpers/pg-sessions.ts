/** Test sessions that a drop may kill: opened quietly (a terminated one emits no unhandled error), closed together. */
import pg from 'pg';

export interface Sessions {
  /** Opens a session (with an application_name when given). */
  open(url: string, applicationName?: string): Promise<pg.Client>;
  /** Ends every session opened here. */
  closeAll(): Promise<void>;
}

export function createSessions(): Sessions {
  const clients: pg.Client[] = [];
  return {
    async open(url, applicationName) {
      const client = new pg.Client({ connectionString: url, application_name: applicationName });
      client.on('error', () => undefined);
      clients.push(client);
      await client.connect();
      return client;
    },
    async closeAll() {
      await Promise.allSettled(clients.splice(0).map((c) => c.end()));
    },
  };
}

/** Whether the session still answers (false once the server terminated it). */
export const isAlive = (client: pg.Client): Promise<boolean> =>
  client.query('SELECT 1').then(
    () => true,
    () => false,
  );
