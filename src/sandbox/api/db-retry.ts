/**
 * What the platform's pool does when its database connections drop. Hardened: a dead idle connection is discarded
 * before use (pg-pool's own check, SQLAlchemy's pool_pre_ping) and a query or acquire that fails on a dropped
 * connection is retried once on a fresh one. `no-db-retry`: no pre-ping and no retry, so every pooled connection
 * that died while idle fails the request that draws it, and an interrupted query fails its request.
 */
import type pg from 'pg';
import { isRetryablePgError } from '../../core/pg/retry.js';

type Query = (...args: unknown[]) => Promise<unknown>;
type Callback = Parameters<pg.Pool['connect']>[0] & {};

const guarded = new WeakSet<pg.PoolClient>();

/** A checked-out client whose connection dies emits 'error': its query fails, the process must not. */
function guardClient(client: pg.PoolClient): pg.PoolClient {
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => undefined);
  }
  return client;
}

export function installDbRetry(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as unknown as Query;
  const connect = pool.connect.bind(pool);
  pool.query = (async (...args: unknown[]) => {
    try {
      return await query(...args);
    } catch (error) {
      if (!isRetryablePgError(error)) throw error;
      return await query(...args);
    }
  }) as unknown as pg.Pool['query'];
  pool.connect = ((callback?: Callback) => {
    // pool.query acquires through connect(callback): that path is retried by the query wrapper above
    if (callback) return connect(callback);
    return connect()
      .catch((error: unknown) => {
        if (!isRetryablePgError(error)) throw error;
        return connect();
      })
      .then(guardClient);
  }) as pg.Pool['connect'];
}

/** The weakness: each idle connection that died stays "in the pool" until a request draws it and fails. */
export function installStaleConnections(pool: pg.Pool): void {
  let stale = 0;
  // pg-pool emits 'error' when an idle client's connection dies (and drops it); without pre-ping it would stay
  pool.on('error', () => {
    stale++;
  });
  const drawStale = () => {
    if (stale === 0) return;
    stale--;
    throw Object.assign(new Error('server closed the connection unexpectedly (stale pooled connection)'), {
      code: '08006',
    });
  };
  const query = pool.query.bind(pool) as unknown as Query;
  const connect = pool.connect.bind(pool);
  pool.query = (async (...args: unknown[]) => {
    drawStale();
    return await query(...args);
  }) as unknown as pg.Pool['query'];
  pool.connect = ((callback?: Callback) => {
    // pool.query acquires through connect(callback) after drawing above: no second draw
    if (callback) return connect(callback);
    return (async () => {
      drawStale();
      return guardClient(await connect());
    })();
  }) as pg.Pool['connect'];
}
