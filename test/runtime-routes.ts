/**
 * Serves RuntimeRoutes (api/runtime/routes.ts) on a loopback HTTP server the way the control
 * plane's runtime API router does — under RUNTIME_API_PREFIX, `node` routes only with a node's
 * bearer token — for testing a feature's routes without a whole control plane. Tokens are a plain
 * map here; the router's real token checks are tested with it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIME_API_PREFIX } from '../api/runtime/protocol.js';
import type { AuthenticatedNode, RuntimeRoute } from '../api/runtime/routes.js';

export interface RouteServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export async function serveRuntimeRoutes(routes: RuntimeRoute[], tokens: Record<string, AuthenticatedNode>): Promise<RouteServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const below = path.startsWith(`${RUNTIME_API_PREFIX}/`) ? path.slice(RUNTIME_API_PREFIX.length) : undefined;
    for (const route of routes) {
      const match = below !== undefined && route.method === req.method ? route.path.exec(below) : null;
      if (!match) continue;
      const node = tokens[/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''];
      if (route.auth === 'node' && !node) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not a node' }));
        return;
      }
      void route.handle(req, res, { match, ...(node ? { node } : {}) }).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
