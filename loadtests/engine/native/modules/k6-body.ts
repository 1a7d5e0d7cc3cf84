/** Request bodies as k6 sends them: strings and bytes as they are, objects form-encoded, or multipart with `http.file()`. */
import { randomBytes } from 'node:crypto';

/** What `http.file(data, filename, contentType)` returns. */
export class FileData {
  readonly data: string | ArrayBuffer;
  readonly filename: string;
  readonly content_type: string;

  constructor(
    data: string | ArrayBuffer | ArrayBufferView,
    filename = '',
    contentType = 'application/octet-stream',
  ) {
    this.data = ArrayBuffer.isView(data)
      ? (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
      : data;
    this.filename = filename;
    this.content_type = contentType;
  }
}

/** `http.file()`: a file part for a multipart body; without a name, k6 names it by the time (in nanoseconds). */
export function createFile(data: string | ArrayBuffer, filename?: string, contentType?: string): FileData {
  if (data === undefined || data === null)
    throw new Error('http.file() needs data (a string or an ArrayBuffer)');
  return new FileData(data, filename || `${Date.now()}000000`, contentType || 'application/octet-stream');
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

function isFile(value: unknown): value is FileData {
  return (
    value instanceof FileData ||
    (typeof value === 'object' && value !== null && 'data' in value && 'content_type' in value)
  );
}

function encodeMultipart(fields: Record<string, unknown>, headers: Record<string, string>): Buffer {
  const boundary = randomBytes(30).toString('hex');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const quoted = name.replace(/"/g, '%22');
    let head = `--${boundary}\r\n`;
    if (isFile(value)) {
      const filename = value.filename.replace(/"/g, '%22');
      head += `Content-Disposition: form-data; name="${quoted}"; filename="${filename}"\r\n`;
      head += `Content-Type: ${value.content_type || 'application/octet-stream'}\r\n\r\n`;
      parts.push(Buffer.from(head), toBuffer(value.data), Buffer.from('\r\n'));
    } else {
      head += `Content-Disposition: form-data; name="${quoted}"\r\n\r\n`;
      parts.push(Buffer.from(head), Buffer.from(String(value)), Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  if (!hasHeader(headers, 'content-type'))
    headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
  return Buffer.concat(parts);
}

/** The bytes of a request body; sets Content-Type for form and multipart bodies unless the script set one. */
export function encodeBody(body: unknown, headers: Record<string, string>): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return toBuffer(body);
  if (typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    if (Object.values(fields).some(isFile)) return encodeMultipart(fields, headers);
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const form = new URLSearchParams();
    // an array is one field sent once per element, as k6 (Go's url.Values) does
    for (const [name, value] of Object.entries(fields))
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item));
    return Buffer.from(form.toString());
  }
  return Buffer.from(String(body));
}
