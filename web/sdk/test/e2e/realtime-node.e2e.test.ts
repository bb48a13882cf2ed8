// The client from Node (server-side JavaScript) against the real engine: centrifuge-js over
// the `ws` package, the API key path, and the user-token (Bearer) paths the browser relies on.
import { describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, decodeTokenClaims } from '../../src/client';
import type { RealtimeNotification } from '../../src/types';
import { trigger } from './harness';

const env = inject('e2e');

describe('realtime client in Node', () => {
  it('receives a publication with all six fields', async () => {
    const server = createClient({ host: env.engineURL, tenantId: env.tenantId, apiKey: env.apiKey, websocket: WebSocket });
    const got: RealtimeNotification[] = [];
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const conn = await server.connectRealtime('bob', (n) => got.push(n), { onSubscribed: () => subscribed() });
    try {
      expect(conn.channels).toEqual([`notifications:${env.tenantId}#bob`]);
      await ready;
      const t0 = performance.now();
      const { eventId } = await trigger(env.engineURL, env.apiKey, 'bob', 'Hello Bob', 'From Node');
      for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      console.log(`e2e(node): trigger → publication ${(performance.now() - t0).toFixed(1)} ms (event ${eventId})`);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ title: 'Hello Bob', body: 'From Node', eventType: 'global.info' });
      expect(got[0].id).toBeTruthy();
      expect(Number.isNaN(Date.parse(got[0].createdAt))).toBe(false);
      expect(typeof got[0].category).toBe('string');
    } finally {
      server.disconnectRealtime();
    }
  });

  it('history, mark read and mark all read work with the user token as Bearer', async () => {
    const server = createClient({ host: env.engineURL, apiKey: env.apiKey });
    await trigger(env.engineURL, env.apiKey, 'carol', 'One', 'm');
    await trigger(env.engineURL, env.apiKey, 'carol', 'Two', 'm');
    await trigger(env.engineURL, env.apiKey, 'carol', 'Three', 'm');
    // The browser's view: only a token source, no API key and no tenant id (read from the token).
    const browser = createClient({ host: env.engineURL, tokenProvider: (u) => server.requestRealtimeToken(u) });
    const page = await browser.fetchHistory('carol', { limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.unreadCount).toBe(3);
    expect(page.nextCursor).toBeTruthy();
    const older = await browser.fetchHistory('carol', { limit: 2, cursor: page.nextCursor! });
    expect(older.data.map((d) => d.title)).toEqual(['One']);
    await browser.markRead('carol', page.data[0].id);
    expect((await browser.fetchHistory('carol')).unreadCount).toBe(2);
    expect(await browser.markAllRead('carol')).toBe(2);
    expect((await browser.fetchHistory('carol')).unreadCount).toBe(0);
  });

  it('a user token is scoped to its user', async () => {
    const server = createClient({ host: env.engineURL, apiKey: env.apiKey });
    const { token } = await server.requestRealtimeToken('dave');
    expect(decodeTokenClaims(token)).toMatchObject({ sub: 'dave', tenant: env.tenantId });
    const res = await fetch(`${env.engineURL}/api/v1/notifications/${env.tenantId}/erin`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect([401, 403]).toContain(res.status);
    const bad = await fetch(`${env.engineURL}/api/v1/notifications/${env.tenantId}/dave`, {
      headers: { Authorization: `Bearer ${token.slice(0, -2)}xx` },
    });
    expect(bad.status).toBe(401);
  });

  it('refreshes a token through the engine with itself as Bearer', async () => {
    const server = createClient({ host: env.engineURL, apiKey: env.apiKey });
    const { token } = await server.requestRealtimeToken('frank');
    const browser = createClient({ host: env.engineURL, token });
    const next = await browser.requestRealtimeToken('frank');
    expect(next.channels).toEqual([`notifications:${env.tenantId}#frank`]);
    expect(decodeTokenClaims(next.token)).toMatchObject({ sub: 'frank' });
  });
});
