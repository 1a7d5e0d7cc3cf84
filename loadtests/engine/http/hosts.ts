/** k6's `options.hosts`: a hostname (or `host:port`) answered from the script's own table instead of DNS. */

export interface ConnectAddress {
  host: string;
  port: number;
}

/** Where a request for `url` connects: the `hosts` entry for `host:port` or `host`, else undefined (DNS as usual). */
export function resolveHostOverride(
  url: URL,
  hosts: Record<string, string> | undefined,
): ConnectAddress | undefined {
  if (!hosts) return undefined;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const name = url.hostname.toLowerCase();
  const mapped = hosts[`${name}:${port}`] ?? hosts[name];
  if (mapped === undefined) return undefined;
  const at = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(String(mapped));
  if (!at?.[1]) return undefined;
  // an IPv6 literal without brackets has colons but no port
  if (!mapped.startsWith('[') && mapped.split(':').length > 2) return { host: mapped, port };
  return { host: at[1], port: at[2] ? Number(at[2]) : port };
}
