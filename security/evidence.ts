/** Turns a request/response pair into a short, redacted evidence excerpt. */
import { redact } from '../src/core/redact.js';
import type { Evidence } from './findings.js';
import type { ProbeResponse } from './http.js';

export interface EvidenceOptions {
  /** Request headers to show (lower case); authorization, cookie and origin are shown by default when present. */
  requestHeaders?: string[];
  /** Response headers to show (lower case). */
  responseHeaders?: string[];
  bodyChars?: number;
  note?: string;
}

const defaultRequestHeaders = [
  'origin',
  'authorization',
  'cookie',
  'content-type',
  'access-control-request-method',
];

export function formatEvidence(response: ProbeResponse, options: EvidenceOptions = {}): Evidence {
  const url = new URL(response.url);
  const requestLines = [`${response.method} ${url.pathname}${url.search}`];
  for (const name of [...defaultRequestHeaders, ...(options.requestHeaders ?? [])]) {
    const value = response.requestHeaders[name];
    if (value !== undefined) requestLines.push(`${name}: ${value}`);
  }
  if (response.requestBody) requestLines.push('', truncate(response.requestBody, 300));
  const responseLines = [response.status === 0 ? 'no response (timed out)' : `HTTP ${response.status}`];
  for (const name of options.responseHeaders ?? []) {
    const value = response.headers.get(name);
    responseLines.push(`${name}: ${value ?? '(absent)'}`);
  }
  if (response.text) responseLines.push('', truncate(response.text, options.bodyChars ?? 400));
  return {
    request: redact(requestLines.join('\n')),
    response: redact(responseLines.join('\n')),
    ...(options.note ? { note: redact(options.note) } : {}),
  };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}
