// An in-memory stand-in for the engine's REST API and a host app's token route, built from
// the documented request/response shapes. Unit tests use it as `fetch`; the real engine is
// exercised by the e2e suite (test/e2e).
import type { HistoryItem } from '../src/types';

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  credentials?: RequestCredentials;
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

/** A JWT-shaped token (unsigned: the SDK never verifies signatures, the engine does). */
let serial = 0;
export function makeToken(tenant: string, sub: string, expSeconds = 7200): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, tenant, exp: now + expSeconds, iat: now, jti: String(++serial) };
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.sig`;
}

export class FakeEngine {
  readonly origin = 'http://engine.test';
  readonly tenantId = 'ten_1';
  readonly apiKey = 'orq_secret_key';
  readonly requests: Recorded[] = [];
  /** Newest first, like the engine. */
  notifications: HistoryItem[] = [];
  unreadOverride: number | undefined;
  tokenExpSeconds = 7200;
  issued: string[] = [];
  private failures: Array<{ match: RegExp; status: number; times: number }> = [];

  /** The next `times` requests whose "METHOD path" matches fail with `status`. */
  fail(match: RegExp, status: number, times = 1): void {
    this.failures.push({ match, status, times });
  }

  add(n: Partial<HistoryItem> & { id: string }): HistoryItem {
    const item: HistoryItem = {
      type: 'PUSH',
      title: `Title ${n.id}`,
      body: `Body ${n.id}`,
      status: 'UNREAD',
      created_at: new Date().toISOString(),
      category: 'info',
      eventType: 'global.info',
      ...n,
    };
    this.notifications.unshift(item);
    return item;
  }

  private issue(userId: string): string {
    const t = makeToken(this.tenantId, userId, this.tokenExpSeconds);
    this.issued.push(t);
    return t;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : '';
    this.requests.push({ method, url, headers, body, credentials: init.credentials });
    const key = `${method} ${url.pathname}`;
    const f = this.failures.find((x) => x.match.test(key) && x.times > 0);
    if (f) {
      f.times--;
      return json(f.status, { statusCode: f.status, message: 'injected failure', error: 'Injected' });
    }
    // Host application's backend route (same origin as the page in real life).
    if (url.pathname === '/token' && method === 'POST') {
      const { userId } = JSON.parse(body) as { userId: string };
      return json(200, { token: this.issue(userId), channels: [`notifications:${this.tenantId}#${userId}`] });
    }
    if (url.origin !== this.origin) return json(404, { statusCode: 404, message: 'no route', error: 'Not Found' });
    const auth = this.auth(headers);
    if (url.pathname === '/api/v1/auth/realtime-token' && method === 'POST') {
      if (!auth) return unauthorized();
      const { userId } = JSON.parse(body) as { userId: string };
      if (auth.user && auth.user !== userId) return json(403, { statusCode: 403, message: 'wrong user', error: 'Forbidden' });
      return json(200, { token: this.issue(userId), channels: [`notifications:${this.tenantId}#${userId}`] });
    }
    const m = url.pathname.match(/^\/api\/v1\/notifications\/([^/]+)\/([^/]+)(?:\/(read-all)|\/([^/]+)\/read)?$/);
    if (!m) return json(404, { statusCode: 404, message: 'no route', error: 'Not Found' });
    if (!auth) return unauthorized();
    const [, tenant, user, readAll, id] = m;
    if (tenant !== this.tenantId || (auth.user && auth.user !== decodeURIComponent(user))) {
      return json(403, { statusCode: 403, message: 'forbidden', error: 'Forbidden' });
    }
    if (method === 'GET' && !readAll && !id) {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const data = this.notifications.slice(start, start + limit);
      const next = start + limit < this.notifications.length ? String(start + limit) : '';
      const unread = this.unreadOverride ?? this.notifications.filter((n) => n.status === 'UNREAD').length;
      return json(200, { success: true, data, nextCursor: next, unreadCount: unread });
    }
    if (method === 'PUT' && readAll) {
      let updated = 0;
      for (const n of this.notifications) if (n.status === 'UNREAD') { n.status = 'READ'; updated++; }
      return json(200, { success: true, updated });
    }
    if (method === 'PUT' && id) {
      const n = this.notifications.find((x) => x.id === decodeURIComponent(id));
      if (!n) return json(404, { statusCode: 404, message: 'Notification not found', error: 'Not Found' });
      n.status = 'READ';
      return json(200, { success: true });
    }
    return json(405, { statusCode: 405, message: 'method', error: 'Method Not Allowed' });
  };

  private auth(h: Headers): { user?: string } | null {
    if (h.get('x-api-key') === this.apiKey) return {};
    const a = h.get('authorization') ?? '';
    const tok = a.startsWith('Bearer ') ? a.slice(7) : '';
    if (!tok || !this.issued.includes(tok)) return null;
    const claims = JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()) as { sub: string; exp: number };
    if (claims.exp * 1000 < Date.now()) return null;
    return { user: claims.sub };
  }

  count(method: string, pathRe: RegExp): number {
    return this.requests.filter((r) => r.method === method && pathRe.test(r.url.pathname)).length;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function unauthorized(): Response {
  return json(401, { statusCode: 401, message: 'Invalid or inactive API key', error: 'Unauthorized' });
}
