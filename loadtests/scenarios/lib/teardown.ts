// Teardown for plain k6 runs: each test student cancels its own active bookings that carry the run's marker.
import http from 'k6/http';
import { type Account, apiBase, buildHeaders, logIn, readJson } from './target.js';

interface BookingPage {
  items?: Array<{ id: string; status: string; student_note?: string | null }>;
}

/** Returns how many bookings were cancelled. */
export async function cancelMarkedBookings(
  students: Account[],
  marker: string,
  tokens: Array<string | undefined> = [],
): Promise<number> {
  let cancelled = 0;
  const seen = new Set<string>();
  for (const [i, student] of students.entries()) {
    if (seen.has(student.email)) continue;
    seen.add(student.email);
    const token = tokens[i] ?? (await logIn(student));
    if (!token) continue;
    const headers = buildHeaders({ token });
    const list = await http.asyncRequest('GET', `${apiBase}/bookings?upcoming_only=true&per_page=100`, null, {
      headers,
      tags: { name: 'teardown-list' },
    });
    for (const booking of readJson<BookingPage>(list)?.items ?? []) {
      if (booking.student_note !== marker || !['PENDING', 'CONFIRMED'].includes(booking.status)) continue;
      const response = await http.asyncRequest('POST', `${apiBase}/bookings/${booking.id}/cancel`, null, {
        headers,
        tags: { name: 'teardown-cancel' },
      });
      if (response.status === 200) cancelled++;
    }
  }
  return cancelled;
}
