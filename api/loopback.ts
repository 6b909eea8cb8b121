/** Whether a host name or address names this machine only: the one rule for listeners and clients. */
import { isIP } from 'node:net';

/**
 * True for `localhost` (and `*.localhost`, RFC 6761), 127.0.0.0/8 and ::1, with or without the
 * brackets of a URL's IPv6 host.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}
