// Pieces the e2e tests share: triggering events with the API key, a TCP proxy that can cut
// connections for real, and the "host app" (a customer's web app with its own backend).
import http from 'node:http';
import net from 'node:net';

export async function trigger(
  engineURL: string,
  apiKey: string,
  userId: string,
  title: string,
  message: string,
): Promise<{ eventId?: string }> {
  const res = await fetch(`${engineURL}/api/v1/events/trigger`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ eventType: 'global.info', channels: ['PUSH'], payload: { userId }, variables: { title, message } }),
  });
  const body = (await res.json()) as { success?: boolean; eventId?: string };
  if (res.status !== 200 || !body.success) throw new Error(`trigger: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function history(engineURL: string, apiKey: string, tenantId: string, userId: string) {
  const res = await fetch(`${engineURL}/api/v1/notifications/${tenantId}/${userId}?limit=50`, {
    headers: { 'x-api-key': apiKey },
  });
  if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
  return (await res.json()) as {
    data: Array<{ id: string; title: string; status: string }>;
    unreadCount?: number;
  };
}

/** Forwards TCP to the engine; `cut()` kills every live connection and refuses new ones. */
export class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  readonly server: net.Server;

  constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      if (!this.accepting) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((r) => this.server.listen(port, '127.0.0.1', () => r()));
  }

  cut(): void {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.accepting = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/**
 * The customer's app: serves a page with the bell and a /token route that trades its session
 * for an Orqestra user token, calling the engine server-side with the API key.
 */
export function hostApp(opts: {
  engineURL: string;
  publicEngineURL: string;
  apiKey: string;
  tenantId: string;
  userId: string;
}): { server: http.Server; tokenCalls: () => number } {
  let tokenCalls = 0;
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Acme · Dashboard</title>
<script type="module" src="${opts.publicEngineURL}/sdk/orqestra.js"></script>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #f6f8fa; color: #1f2328; }
  header { display: flex; align-items: center; justify-content: space-between; padding: 8px 24px;
           background: #24292f; color: #fff; }
  header strong { font-size: 18px; }
  orqestra-bell { --orq-bell-color: #fff; --orq-badge-ring: #24292f; }
  main { padding: 24px; }
</style>
</head>
<body>
<header>
  <strong>Acme</strong>
  <orqestra-bell host="${opts.publicEngineURL}" tenant-id="${opts.tenantId}" user-id="${opts.userId}" token-url="/token"></orqestra-bell>
</header>
<main><h1>Dashboard</h1><p>Welcome back, ${opts.userId}.</p></main>
</body>
</html>`;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Set-Cookie': `session=${opts.userId}; HttpOnly; SameSite=Lax; Path=/`,
      });
      res.end(page);
      return;
    }
    if (req.method === 'POST' && req.url === '/token') {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
        if (body.length > 4096) req.destroy();
      });
      req.on('end', async () => {
        tokenCalls++;
        const session = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
        let userId = '';
        try {
          userId = (JSON.parse(body) as { userId?: string }).userId ?? '';
        } catch {
          /* fall through to 401 */
        }
        // The session decides who the user is; the browser cannot ask for someone else.
        if (!session || session !== userId) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end('{"error":"not signed in"}');
          return;
        }
        const r = await fetch(`${opts.engineURL}/api/v1/auth/realtime-token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'x-api-key': opts.apiKey },
          body: JSON.stringify({ userId }),
        });
        res.writeHead(r.status, { 'Content-Type': 'application/json' });
        res.end(await r.text());
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return { server, tokenCalls: () => tokenCalls };
}
