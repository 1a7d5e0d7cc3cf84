/** Test helper: a probe context for a tiny local HTTP server (a real target resolved from a real config). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { validateConfig } from '../../src/core/config/load.js';
import { resolveTarget } from '../../src/core/target.js';
import { ScanHttp } from '../http.js';
import type { ProbeContext } from '../probe.js';
import type { RouteSpec } from '../routes.js';
import { planScan } from '../scan.js';
import { Session } from '../session.js';

export interface LocalServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startLocalServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LocalServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Test accounts of the local target: every role logs in with password "pw" (email role@example.com). */
const localAccounts = Object.fromEntries(
  ['studentA', 'studentB', 'instructor', 'admin'].map((role) => [
    role,
    { email: `${role}@example.com`, passwordEnv: 'PF_LOCAL_PASSWORD' },
  ]),
);

export function createLocalContext(
  baseUrl: string,
  routes: RouteSpec[] = [],
  settings: Partial<ProbeContext['settings']> = {},
  options: { withAccounts?: boolean } = {},
): ProbeContext {
  const target = resolveTarget(
    validateConfig({
      targets: {
        local: {
          baseUrl,
          origin: 'https://app.example.com',
          ...(options.withAccounts ? { accounts: localAccounts } : {}),
        },
      },
    }),
    'local',
    { env: { PF_LOCAL_PASSWORD: 'pw' } },
  );
  const plan = planScan(target, { settings });
  const http = new ScanHttp(target, { budget: 500, concurrency: 4 });
  return {
    target,
    http,
    session: new Session(http),
    routes: { routes, openapiUrl: undefined },
    settings: plan.settings,
    crackSigningKey: async () => undefined,
    getSigningKey: async () => plan.settings.jwtSecret,
    log: () => {},
  };
}
