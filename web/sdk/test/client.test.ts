import { describe, expect, it } from 'vitest';
import {
  OrqestraError,
  createClient,
  decodeTokenClaims,
  websocketURL,
} from '../src/client';
import { toRealtimeNotification } from '../src/client';
import { FakeEngine, makeToken } from './fake-engine';

describe('requestRealtimeToken', () => {
  it('calls the host backend token-url with POST, JSON {userId} and credentials include', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, tokenUrl: 'http://app.test/token', fetch: e.fetch });
    const t = await c.requestRealtimeToken('u1');
    expect(t.channels).toEqual(['notifications:ten_1#u1']);
    expect(decodeTokenClaims(t.token)).toMatchObject({ sub: 'u1', tenant: 'ten_1' });
    const r = e.requests[0];
    expect(r.method).toBe('POST');
    expect(r.url.toString()).toBe('http://app.test/token');
    expect(JSON.parse(r.body)).toEqual({ userId: 'u1' });
    expect(r.credentials).toBe('include');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('x-api-key')).toBeNull();
  });

  it('uses an async token provider before token-url', async () => {
    const e = new FakeEngine();
    const seen: string[] = [];
    const c = createClient({
      host: e.origin,
      tokenUrl: 'http://app.test/token',
      fetch: e.fetch,
      tokenProvider: async (userId) => {
        seen.push(userId);
        return { token: makeToken('ten_1', userId), channels: ['x'] };
      },
    });
    expect((await c.requestRealtimeToken('u2')).channels).toEqual(['x']);
    expect(seen).toEqual(['u2']);
    expect(e.requests).toHaveLength(0);
  });

  it('server-side: sends x-api-key straight to the engine', async () => {
    const e = new FakeEngine();
    const { requestRealtimeToken } = createClient({ host: e.origin + '/', apiKey: e.apiKey, fetch: e.fetch });
    const t = await requestRealtimeToken('u3');
    expect(t.channels).toEqual(['notifications:ten_1#u3']);
    expect(e.requests[0].url.toString()).toBe('http://engine.test/api/v1/auth/realtime-token');
    expect(e.requests[0].headers.get('x-api-key')).toBe(e.apiKey);
  });

  it('refreshes a page-provided token through the engine with itself as Bearer', async () => {
    const e = new FakeEngine();
    const start = makeToken('ten_1', 'u4');
    e.issued.push(start);
    const c = createClient({ host: e.origin, token: start, fetch: e.fetch });
    const t = await c.requestRealtimeToken('u4');
    expect(t.token).not.toBe(start);
    expect(e.requests[0].headers.get('authorization')).toBe(`Bearer ${start}`);
  });

  it('turns error bodies into OrqestraError with the status', async () => {
    const e = new FakeEngine();
    e.fail(/POST \/token/, 401);
    const c = createClient({ host: e.origin, tokenUrl: 'http://app.test/token', fetch: e.fetch });
    const err = await c.requestRealtimeToken('u1').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OrqestraError);
    expect((err as OrqestraError).status).toBe(401);
    expect((err as OrqestraError).message).toContain('injected failure');
  });

  it('has no token source: says how to configure one', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, fetch: e.fetch });
    await expect(c.requestRealtimeToken('u1')).rejects.toThrow(/tokenUrl/);
  });
});

describe('history and mark read as the user (Bearer)', () => {
  it('fetches history with the user token, tenant from the token claim when not given', async () => {
    const e = new FakeEngine();
    e.add({ id: 'a' });
    e.add({ id: 'b', status: 'READ' });
    const c = createClient({ host: e.origin, tokenUrl: 'http://app.test/token', fetch: e.fetch });
    const page = await c.fetchHistory('u 1', { limit: 5 });
    expect(page.data.map((d) => d.id)).toEqual(['b', 'a']);
    expect(page.unreadCount).toBe(1);
    const get = e.requests.find((r) => r.method === 'GET')!;
    expect(get.url.pathname).toBe('/api/v1/notifications/ten_1/u%201');
    expect(get.url.searchParams.get('limit')).toBe('5');
    expect(get.headers.get('authorization')).toMatch(/^Bearer ey/);
    expect(get.headers.get('x-api-key')).toBeNull();
  });

  it('reuses the cached token until it nears expiry', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, tenantId: 'ten_1', tokenUrl: 'http://app.test/token', fetch: e.fetch });
    await c.fetchHistory('u1');
    await c.fetchHistory('u1');
    expect(e.count('POST', /^\/token$/)).toBe(1);
    e.tokenExpSeconds = 30; // inside the refresh margin: every call gets a new one
    const c2 = createClient({ host: e.origin, tenantId: 'ten_1', tokenUrl: 'http://app.test/token', fetch: e.fetch });
    await c2.fetchHistory('u1');
    await c2.fetchHistory('u1');
    expect(e.count('POST', /^\/token$/)).toBe(3);
  });

  it('shares one token request between concurrent calls', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, tenantId: 'ten_1', tokenUrl: 'http://app.test/token', fetch: e.fetch });
    await Promise.all([c.fetchHistory('u1'), c.fetchHistory('u1'), c.markAllRead('u1')]);
    expect(e.count('POST', /^\/token$/)).toBe(1);
  });

  it('on 401 gets a fresh token once and retries', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, tenantId: 'ten_1', tokenUrl: 'http://app.test/token', fetch: e.fetch });
    await c.fetchHistory('u1');
    e.fail(/GET \/api\/v1\/notifications/, 401);
    await c.fetchHistory('u1');
    expect(e.count('POST', /^\/token$/)).toBe(2);
    e.fail(/GET \/api\/v1\/notifications/, 401, 2);
    await expect(c.fetchHistory('u1')).rejects.toMatchObject({ status: 401 });
  });

  it('marks one read and all read', async () => {
    const e = new FakeEngine();
    e.add({ id: 'n/1' });
    e.add({ id: 'n2' });
    e.add({ id: 'n3' });
    const c = createClient({ host: e.origin, tenantId: 'ten_1', tokenUrl: 'http://app.test/token', fetch: e.fetch });
    await c.markRead('u1', 'n/1');
    const put = e.requests.find((r) => r.method === 'PUT')!;
    expect(put.url.pathname).toBe('/api/v1/notifications/ten_1/u1/n%2F1/read');
    expect(e.notifications.find((n) => n.id === 'n/1')!.status).toBe('READ');
    expect(await c.markAllRead('u1')).toBe(2);
    expect(e.notifications.every((n) => n.status === 'READ')).toBe(true);
  });

  it('server-side: x-api-key on history, no token request', async () => {
    const e = new FakeEngine();
    const c = createClient({ host: e.origin, tenantId: 'ten_1', apiKey: e.apiKey, fetch: e.fetch });
    await c.fetchHistory('u1');
    expect(e.requests).toHaveLength(1);
    expect(e.requests[0].headers.get('x-api-key')).toBe(e.apiKey);
  });
});

describe('helpers', () => {
  it('derives the WebSocket URL from the engine host', () => {
    expect(websocketURL('https://n.example.com')).toBe('wss://n.example.com/connection/websocket');
    expect(websocketURL('http://127.0.0.1:8080/')).toBe('ws://127.0.0.1:8080/connection/websocket');
  });

  it('decodes claims and tolerates junk', () => {
    expect(decodeTokenClaims(makeToken('t', 'ü'))).toMatchObject({ tenant: 't', sub: 'ü' });
    expect(decodeTokenClaims('nope')).toEqual({});
    expect(decodeTokenClaims('a.!!!.c')).toEqual({});
  });

  it('normalises publication data', () => {
    expect(toRealtimeNotification({ id: 'x', title: 't', body: 'b', category: 'c', eventType: 'e', createdAt: '2024-01-01T00:00:00Z' }))
      .toEqual({ id: 'x', title: 't', body: 'b', category: 'c', eventType: 'e', createdAt: '2024-01-01T00:00:00Z' });
    expect(toRealtimeNotification({ title: 'no id' })).toBeNull();
    expect(toRealtimeNotification('str')).toBeNull();
    expect(toRealtimeNotification({ id: 7 })).toMatchObject({ id: '7', title: '', body: '' });
  });
});

describe('connectRealtime', () => {
  it('gives up when disconnected while still waiting for its token', async () => {
    const e = new FakeEngine();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = createClient({
      host: e.origin,
      tokenProvider: async (u) => {
        await gate;
        return { token: makeToken('ten_1', u), channels: ['notifications:ten_1#u1'] };
      },
    });
    const p = c.connectRealtime('u1', () => {});
    c.disconnectRealtime();
    release();
    await expect(p).rejects.toThrow(/cancelled/);
    expect((c as unknown as { realtime: unknown }).realtime).toBeNull();
  });
});
