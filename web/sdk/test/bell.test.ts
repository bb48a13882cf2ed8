// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrqestraBell, defineBell, type BellClient } from '../src/bell';
import { createClient, type RealtimeOptions } from '../src/client';
import type { RealtimeNotification } from '../src/types';
import { FakeEngine } from './fake-engine';

defineBell();

/** The real client for REST against the fake engine, with realtime driven by the test. */
class TestClient implements BellClient {
  onNotification: ((n: RealtimeNotification) => void) | null = null;
  rt: RealtimeOptions = {};
  disconnects = 0;
  private readonly rest;
  constructor(readonly engine: FakeEngine) {
    this.rest = createClient({ host: engine.origin, tenantId: engine.tenantId, tokenUrl: 'http://app.test/token', fetch: engine.fetch });
  }
  fetchHistory = (u: string, q?: { limit?: number; cursor?: string }) => this.rest.fetchHistory(u, q);
  markRead = (u: string, id: string) => this.rest.markRead(u, id);
  markAllRead = (u: string) => this.rest.markAllRead(u);
  connectRealtime = async (_u: string, on: (n: RealtimeNotification) => void, opts: RealtimeOptions = {}) => {
    this.onNotification = on;
    this.rt = opts;
    return {};
  };
  disconnectRealtime = () => {
    this.disconnects++;
  };
  push(id: string, extra: Partial<RealtimeNotification> = {}): void {
    this.onNotification?.({ id, title: `Live ${id}`, body: `Body ${id}`, category: 'info', eventType: 'global.info', createdAt: new Date().toISOString(), ...extra });
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
};

let engine: FakeEngine;
let client: TestClient;

async function mount(attrs: Record<string, string> = {}): Promise<OrqestraBell> {
  const bell = document.createElement('orqestra-bell');
  bell.client = client;
  for (const [k, v] of Object.entries({ 'user-id': 'u1', ...attrs })) bell.setAttribute(k, v);
  document.body.append(bell);
  await flush();
  return bell;
}

const $ = (b: OrqestraBell, sel: string) => b.shadowRoot!.querySelector(sel) as HTMLElement;
const $$ = (b: OrqestraBell, sel: string) => Array.from(b.shadowRoot!.querySelectorAll(sel)) as HTMLElement[];
const items = (b: OrqestraBell) => $$(b, '[part~="item"]');
const badge = (b: OrqestraBell) => $(b, '[part="badge"]');
const button = (b: OrqestraBell) => $(b, '[part="button"]');
const key = (target: Element, k: string) =>
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, cancelable: true }));

beforeEach(() => {
  engine = new FakeEngine();
  client = new TestClient(engine);
});
afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe('<orqestra-bell> rendering', () => {
  it('shows history with an unread badge, data-id/data-status and parts', async () => {
    engine.add({ id: 'old', status: 'READ', created_at: new Date(Date.now() - 3 * 60_000).toISOString() });
    engine.add({ id: 'a' });
    engine.add({ id: 'b' });
    const bell = await mount();
    expect(bell.shadowRoot).not.toBeNull();
    expect(badge(bell).textContent).toBe('2');
    expect(badge(bell).hidden).toBe(false);
    expect(button(bell).getAttribute('aria-label')).toBe('Notifications, 2 unread');
    const rows = items(bell);
    expect(rows.map((r) => r.dataset.id)).toEqual(['b', 'a', 'old']);
    expect(rows.map((r) => r.dataset.status)).toEqual(['UNREAD', 'UNREAD', 'READ']);
    expect(rows[0].getAttribute('part')).toBe('item unread');
    expect(rows[2].getAttribute('part')).toBe('item read');
    expect(rows[0].querySelector('.title')!.textContent).toBe('Title b');
    expect(rows[0].querySelector('.body')!.textContent).toBe('Body b');
    expect(rows[0].querySelector('time')!.textContent).toBe('just now');
    expect(rows[2].querySelector('time')!.textContent).toBe('3 minutes ago');
    expect($(bell, '[part="panel"]').hidden).toBe(true);
    expect(bell.dataset.state).toBe('ready');
  });

  it('renders text, never HTML, from notifications', async () => {
    engine.add({ id: 'x', title: '<img src=x onerror=alert(1)>', body: '<b>bold</b>' });
    const bell = await mount();
    expect(bell.shadowRoot!.querySelector('img')).toBeNull();
    expect(items(bell)[0].querySelector('.title')!.textContent).toBe('<img src=x onerror=alert(1)>');
  });

  it('caps the badge at 99+ and leaves it empty and hidden at zero', async () => {
    engine.add({ id: 'a' });
    engine.unreadOverride = 150;
    const bell = await mount();
    expect(badge(bell).textContent).toBe('99+');
    expect(button(bell).getAttribute('aria-label')).toBe('Notifications, 150 unread');
    engine.unreadOverride = 99;
    bell.refresh();
    await flush();
    expect(badge(bell).textContent).toBe('99');
    engine.unreadOverride = 0;
    bell.refresh();
    await flush();
    expect(badge(bell).textContent).toBe('');
    expect(badge(bell).hidden).toBe(true);
    expect(button(bell).getAttribute('aria-label')).toBe('Notifications');
  });

  it('shows an empty state', async () => {
    const bell = await mount();
    expect($(bell, '[part="status"]').textContent).toMatch(/No notifications yet/);
    expect($(bell, '[part="status"]').hidden).toBe(false);
    expect(items(bell)).toHaveLength(0);
  });

  it('shows loading, then an error with a working retry', async () => {
    engine.add({ id: 'a' });
    engine.fail(/GET \/api\/v1\/notifications/, 500);
    const bell = document.createElement('orqestra-bell');
    bell.client = client;
    bell.setAttribute('user-id', 'u1');
    const errors: unknown[] = [];
    bell.addEventListener('orqestra-error', (e) => errors.push((e as CustomEvent).detail));
    document.body.append(bell);
    await Promise.resolve();
    await Promise.resolve();
    expect($(bell, '[part="status"]').textContent).toMatch(/Loading/);
    await flush();
    expect(bell.dataset.state).toBe('error');
    expect($(bell, '[part="status"]').textContent).toMatch(/Couldn’t load notifications/);
    expect(errors).toHaveLength(1);
    ($(bell, '[data-action="retry"]') as HTMLButtonElement).click();
    await flush();
    expect(bell.dataset.state).toBe('ready');
    expect(items(bell)).toHaveLength(1);
  });

  it('updates relative times while open', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2025-06-01T12:00:00Z'));
    engine.add({ id: 'a', created_at: new Date().toISOString() });
    const bell = await mount();
    button(bell).click();
    const time = () => items(bell)[0].querySelector('time')!.textContent;
    expect(time()).toBe('just now');
    vi.advanceTimersByTime(50_000);
    expect(time()).toBe('1 minute ago');
    vi.advanceTimersByTime(130_000);
    expect(time()).toBe('3 minutes ago');
  });
});

describe('<orqestra-bell> behaviour', () => {
  it('marks an item read on click, in place, without refetching', async () => {
    engine.add({ id: 'a' });
    engine.add({ id: 'b' });
    const bell = await mount();
    button(bell).click();
    const gets = engine.count('GET', /notifications/);
    const before = items(bell)[1];
    const selected: string[] = [];
    bell.addEventListener('orqestra-select', (e) => selected.push((e as CustomEvent).detail.id));
    before.click();
    expect(before.dataset.status).toBe('READ'); // optimistic
    expect(badge(bell).textContent).toBe('1');
    await flush();
    expect(items(bell)[1]).toBe(before); // same node, updated in place
    expect(engine.notifications.find((n) => n.id === 'a')!.status).toBe('READ');
    expect(engine.count('PUT', /\/a\/read$/)).toBe(1);
    expect(engine.count('GET', /notifications/)).toBe(gets);
    expect(selected).toEqual(['a']);
    // A read item is not marked again.
    before.click();
    await flush();
    expect(engine.count('PUT', /\/a\/read$/)).toBe(1);
  });

  it('reverts when marking read fails', async () => {
    engine.add({ id: 'a' });
    const bell = await mount();
    engine.fail(/PUT .*\/read$/, 500);
    items(bell)[0].click();
    await flush();
    expect(items(bell)[0].dataset.status).toBe('UNREAD');
    expect(badge(bell).textContent).toBe('1');
    await new Promise((r) => setTimeout(r, 80));
    expect($(bell, '[aria-live="polite"]').textContent).toMatch(/Couldn’t mark/);
  });

  it('prepends realtime notifications, bumps the badge and dedupes by id', async () => {
    engine.add({ id: 'a' });
    const bell = await mount();
    expect(badge(bell).textContent).toBe('1');
    const seen: string[] = [];
    bell.addEventListener('orqestra-notification', (e) => seen.push((e as CustomEvent).detail.id));
    client.push('n1');
    expect(items(bell).map((r) => r.dataset.id)).toEqual(['n1', 'a']);
    expect(items(bell)[0].dataset.status).toBe('UNREAD');
    expect(badge(bell).textContent).toBe('2');
    client.push('n1');
    client.push('a');
    expect(items(bell)).toHaveLength(2);
    expect(badge(bell).textContent).toBe('2');
    expect(seen).toEqual(['n1']);
    await new Promise((r) => setTimeout(r, 80));
    expect($(bell, '[aria-live="polite"]').textContent).toBe('New notification: Live n1');
  });

  it('keeps realtime arrivals when history lands later, without double counting', async () => {
    engine.add({ id: 'a' });
    const bell = await mount();
    engine.add({ id: 'b' });
    client.push('b'); // also on the server: must not be counted twice
    client.push('c'); // published after the server read the page
    engine.add({ id: 'c' });
    client.rt.onSubscribed?.({ channel: 'x', first: true, recovered: false });
    await flush();
    expect(items(bell).map((r) => r.dataset.id)).toEqual(['c', 'b', 'a']);
    expect(badge(bell).textContent).toBe('3');
  });

  it('refetches history when a resubscribe could not recover', async () => {
    engine.add({ id: 'a' });
    const bell = await mount();
    engine.add({ id: 'missed' });
    client.rt.onResync?.('notifications:ten_1#u1');
    await flush();
    expect(items(bell).map((r) => r.dataset.id)).toEqual(['missed', 'a']);
    expect(badge(bell).textContent).toBe('2');
  });

  it('marks all as read', async () => {
    engine.add({ id: 'a' });
    engine.add({ id: 'b' });
    const bell = await mount();
    button(bell).click();
    const all = $(bell, '[part="mark-all"]') as HTMLButtonElement;
    expect(all.disabled).toBe(false);
    all.click();
    expect(items(bell).every((r) => r.dataset.status === 'READ')).toBe(true);
    expect(badge(bell).hidden).toBe(true);
    await flush();
    expect(engine.count('PUT', /\/read-all$/)).toBe(1);
    expect(engine.notifications.every((n) => n.status === 'READ')).toBe(true);
    expect(all.disabled).toBe(true);
  });

  it('loads older pages', async () => {
    for (let i = 0; i < 5; i++) engine.add({ id: `n${i}` });
    const bell = await mount({ limit: '3' });
    expect(items(bell)).toHaveLength(3);
    const more = $(bell, '[part="load-more"]') as HTMLButtonElement;
    expect(more.closest('.footer')!.hasAttribute('hidden')).toBe(false);
    more.click();
    await flush();
    expect(items(bell).map((r) => r.dataset.id)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
    expect(more.closest('.footer')!.hasAttribute('hidden')).toBe(true);
  });

  it('disconnects realtime when removed from the page', async () => {
    const bell = await mount();
    bell.remove();
    expect(client.disconnects).toBeGreaterThan(0);
  });
});

describe('<orqestra-bell> keyboard and screen readers', () => {
  it('button semantics, arrow keys, Enter, Escape', async () => {
    engine.add({ id: 'a' });
    engine.add({ id: 'b' });
    engine.add({ id: 'c' });
    const bell = await mount();
    const btn = button(bell);
    expect(btn.tagName).toBe('BUTTON');
    expect(btn.getAttribute('aria-haspopup')).toBe('menu');
    expect(btn.getAttribute('aria-expanded')).toBe('false');
    const panel = $(bell, '[part="panel"]');
    expect(btn.getAttribute('aria-controls')).toBe(panel.id);
    expect($(bell, '[role="menu"]')).not.toBeNull();
    expect(items(bell).every((r) => r.getAttribute('role') === 'menuitem')).toBe(true);

    btn.focus();
    key(btn, 'ArrowDown');
    expect(btn.getAttribute('aria-expanded')).toBe('true');
    expect(panel.hidden).toBe(false);
    const active = () => (bell.shadowRoot!.activeElement as HTMLElement | null)?.dataset.id;
    expect(active()).toBe('c');
    key(items(bell)[0], 'ArrowDown');
    expect(active()).toBe('b');
    key(items(bell)[1], 'End');
    expect(active()).toBe('a');
    key(items(bell)[2], 'ArrowDown'); // wraps
    expect(active()).toBe('c');
    key(items(bell)[0], 'ArrowUp');
    expect(active()).toBe('a');
    key(items(bell)[2], 'Home');
    expect(active()).toBe('c');
    // Only the active item is in the tab order (roving tabindex).
    expect(items(bell).map((r) => r.tabIndex)).toEqual([0, -1, -1]);

    key(items(bell)[0], 'Enter');
    await flush();
    expect(items(bell)[0].dataset.status).toBe('READ');
    expect(engine.notifications.find((n) => n.id === 'c')!.status).toBe('READ');

    key(items(bell)[0], 'Escape');
    expect(btn.getAttribute('aria-expanded')).toBe('false');
    expect(panel.hidden).toBe(true);
    expect(bell.shadowRoot!.activeElement).toBe(btn);
  });

  it('has a polite live region and marks unread items for screen readers', async () => {
    engine.add({ id: 'a' });
    const bell = await mount();
    const live = $(bell, '[aria-live]');
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(items(bell)[0].textContent).toMatch(/^Unread: /);
  });

  it('closes on an outside click', async () => {
    const bell = await mount();
    button(bell).click();
    expect(bell.expanded).toBe(true);
    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true, composed: true }));
    expect(bell.expanded).toBe(false);
  });
});

describe('<orqestra-bell> configuration from attributes', () => {
  it('stays idle without user-id or token-url, then starts when they arrive', async () => {
    const bell = document.createElement('orqestra-bell');
    document.body.append(bell);
    await flush();
    expect(bell.dataset.state).toBe('idle');
    const calls: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(String(input));
      return engine.fetch(input, init);
    }) as typeof fetch;
    try {
      bell.setAttribute('host', engine.origin);
      bell.setAttribute('tenant-id', engine.tenantId);
      bell.setAttribute('token-url', 'http://app.test/token');
      bell.setAttribute('user-id', 'u1');
      await flush();
      expect(calls[0]).toBe('http://app.test/token');
      expect(calls).toContain('http://engine.test/api/v1/notifications/ten_1/u1?limit=20');
      const tokenReq = engine.requests.find((r) => r.url.pathname === '/token')!;
      expect(tokenReq.credentials).toBe('include');
      expect(tokenReq.method).toBe('POST');
      expect(JSON.parse(tokenReq.body)).toEqual({ userId: 'u1' });
    } finally {
      globalThis.fetch = realFetch;
      bell.remove();
    }
  });

  it('adds no attributes to itself when constructed (document.createElement would throw)', () => {
    const bell = document.createElement('orqestra-bell');
    expect(bell.attributes.length).toBe(0);
    expect(bell.shadowRoot).not.toBeNull();
  });

  it('is an OrqestraBell registered as orqestra-bell', () => {
    expect(customElements.get('orqestra-bell')).toBe(OrqestraBell);
  });
});
