/** Reads `--listen`: `host:port`, `[v6]:port`, `:port` or a bare port. */
import { usageError } from '../../src/core/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(
      `Expected \`--listen\` to be host:port (such as 127.0.0.1:9187), got \`${value}\``,
      'pass --listen 127.0.0.1:9187 (port 0 picks a free one)',
    );
  return { host: match[1] || match[2] || '127.0.0.1', port };
}
