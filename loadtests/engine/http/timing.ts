/**
 * The timing phases of a request, as k6 reports them:
 * blocked = dispatch -> a socket is ready (an idle one, or a new one once connected);
 * connecting = TCP (and TLS) connect of a socket opened for this request; sending = writing the request;
 * waiting = sent -> the response head is complete; receiving = head -> last byte.
 */

export interface Timings {
  duration: number;
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
}

/** The moments (performance.now ms) an exchange passed, from dispatch to its response head. */
export interface PhaseMarks {
  t0: number;
  tReady: number;
  tSent: number;
  /** 0 until the response head is complete. */
  tHead: number;
  connectMs: number;
  tlsMs: number;
}

/** The phases of an exchange that ended at `end` (a failed one waited until it failed when no head came). */
export function measureTimings(marks: PhaseMarks, end: number, failed: boolean): Timings {
  const { t0, tReady, tSent, tHead } = marks;
  const sending = Math.max(0, tSent - tReady);
  const waiting = tHead ? tHead - tSent : failed ? Math.max(0, end - tSent) : 0;
  const receiving = tHead ? end - tHead : 0;
  return {
    duration: sending + waiting + receiving,
    blocked: Math.max(0, tReady - t0),
    connecting: Math.max(0, marks.connectMs - marks.tlsMs),
    tls_handshaking: marks.tlsMs,
    sending,
    waiting,
    receiving,
  };
}
