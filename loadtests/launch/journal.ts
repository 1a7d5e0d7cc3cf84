/**
 * The booking journal of a run: a loopback HTTP endpoint the scenarios report every created booking to (id and
 * student), from every VU, on both engines. Clean-up works from these ids, never from a search of the target.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CreatedBooking {
  id: string;
  /** Email of the test student who made it. */
  student: string;
}

export interface BookingJournal {
  /** Where scenarios POST `{"id": ..., "student": ...}` (PREFLIGHT_JOURNAL_URL). */
  url: string;
  bookings(): CreatedBooking[];
  stop(): Promise<void>;
}

const maxBodyBytes = 4096;

export async function startBookingJournal(): Promise<BookingJournal> {
  const created = new Map<string, CreatedBooking>();
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > maxBodyBytes) request.destroy();
    });
    request.on('end', () => {
      let entry: Partial<CreatedBooking> | undefined;
      try {
        entry = JSON.parse(body) as Partial<CreatedBooking>;
      } catch {
        entry = undefined;
      }
      if (request.method !== 'POST' || typeof entry?.id !== 'string' || typeof entry.student !== 'string') {
        response.writeHead(400).end();
        return;
      }
      created.set(entry.id, { id: entry.id, student: entry.student });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bookings`,
    bookings: () => [...created.values()],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
