/**
 * Test helper: a tiny platform on loopback that speaks the spec's routes (login, me, search, public availability,
 * bookings), with knobs for what the precision tests need: reset chosen connections, answer 405 on chosen routes,
 * a cancel route that does not cancel. Accounts: studentA/studentB/instructor/admin@example.com, password "pw".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalServer, startLocalServer } from './context.js';

export interface TinyPlatformOptions {
  /** 1-based numbers of the requests whose connection is reset instead of answered. */
  resetRequests?: number[];
  /** How to break those connections: an RST (ECONNRESET) or a plain close (socket hang up). */
  resetHow?: 'rst' | 'close';
  /** "METHOD /api/v1/path" answered with 405. */
  methodNotAllowed?: string[];
  /** Serve search and availability (default true). */
  discovery?: boolean;
  /** The cancel route answers 200 but leaves the booking as it was. */
  brokenCancel?: boolean;
  /** The first booking is created, then its connection is reset instead of answered. */
  resetAfterFirstBooking?: boolean;
}

export interface TinyPlatform extends LocalServer {
  requests: string[];
  bookings: Map<string, { owner: string; status: string }>;
}

const api = '/api/v1';
const instructorId = '01J00000000000000000000IN1';
const serviceId = '01J00000000000000000000SV1';
const catalogId = '01J00000000000000000000CA1';

export async function startTinyPlatform(options: TinyPlatformOptions = {}): Promise<TinyPlatform> {
  const requests: string[] = [];
  const bookings = new Map<string, { owner: string; status: string }>();
  let next = 0;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const number = requests.push(`${req.method} ${req.url}`);
    if (options.resetRequests?.includes(number)) {
      if (options.resetHow === 'close') req.socket.destroy();
      else req.socket.resetAndDestroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (options.methodNotAllowed?.includes(`${req.method} ${path}`)) {
      res.setHeader('allow', 'GET');
      return send(405, { detail: 'Method Not Allowed' });
    }
    const user = /^Bearer tok-(\w+)$/.exec(req.headers.authorization ?? '')?.[1];
    const route = `${req.method} ${path}`;
    if (route === `GET ${api}/health`) return send(200, { status: 'healthy' });
    if (route === `POST ${api}/auth/login`) {
      const form = new URLSearchParams(raw);
      const role = /^(studentA|studentB|instructor|admin)@example\.com$/.exec(
        form.get('username') ?? '',
      )?.[1];
      if (!role || form.get('password') !== 'pw') return send(401, { detail: 'Incorrect email or password' });
      res.setHeader('set-cookie', `sid=tok-${role}; HttpOnly; Path=/`);
      return send(200, { requires_2fa: false });
    }
    if (route === `GET ${api}/auth/me`)
      return user ? send(200, { id: user, role: 'student' }) : send(401, {});
    if (options.discovery !== false && route === `GET ${api}/search`)
      return send(200, {
        results: [
          {
            instructor_id: instructorId,
            best_match: { service_id: serviceId, service_catalog_id: catalogId, min_hourly_rate: 50 },
          },
        ],
        meta: {},
      });
    if (
      options.discovery !== false &&
      route === `GET ${api}/public/instructors/${instructorId}/availability`
    ) {
      const byDate: Record<string, unknown> = {};
      const from = Date.parse(url.searchParams.get('start_date') ?? '');
      for (let d = 0; d < 3 && Number.isFinite(from); d++)
        byDate[new Date(from + d * 86_400_000).toISOString().slice(0, 10)] = {
          available_slots: [{ start_time: '09:00', end_time: '12:00' }],
          is_blackout: false,
        };
      return send(200, { availability_by_date: byDate });
    }
    if (!user) return send(401, { detail: 'Not authenticated' });
    if (route === `POST ${api}/bookings`) {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (!body.instructor_id) return send(422, { detail: 'missing fields' });
      const id = `01J0000000000000000000BK${String(++next).padStart(2, '0')}`;
      bookings.set(id, { owner: user, status: 'PENDING' });
      if (options.resetAfterFirstBooking && bookings.size === 1) return req.socket.resetAndDestroy();
      return send(201, { id, status: 'PENDING' });
    }
    const booking = /^\/api\/v1\/bookings\/(\w+)(\/cancel)?$/.exec(path);
    if (booking) {
      const found = bookings.get(booking[1]!);
      if (!found || found.owner !== user) return send(404, { detail: 'Booking not found' });
      if (booking[2] && req.method === 'POST') {
        if (!options.brokenCancel) found.status = 'CANCELLED';
        return send(200, { id: booking[1], status: 'CANCELLED' });
      }
      if (!booking[2] && req.method === 'GET') return send(200, { id: booking[1], status: found.status });
    }
    return send(404, { detail: 'Not Found' });
  };
  const server = await startLocalServer((req, res) => {
    handler(req, res).catch(() => res.destroy());
  });
  return { ...server, requests, bookings };
}
