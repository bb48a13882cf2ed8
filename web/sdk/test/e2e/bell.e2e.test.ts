// The bell in real headless Chromium against the real engine, embedded in a host app whose
// backend holds the API key. Screenshots land in <work dir>/screenshots.
import { mkdirSync, mkdtempSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CuttableProxy, history, hostApp, trigger } from './harness';

const env = inject('e2e');
const USER = 'alice';
const shots = join(env.dir, 'screenshots');

let proxy: CuttableProxy;
let host: ReturnType<typeof hostApp>;
let context: BrowserContext;
let page: Page;
const seen: string[] = []; // everything the page sent or received, to look for the API key
const pageErrors: string[] = [];
let apiKeyHeaderSent = false;

const badgeText = () =>
  page.evaluate(() => document.querySelector('orqestra-bell')!.shadowRoot!.querySelector('[part="badge"]')!.textContent);
const itemsState = () =>
  page.evaluate(() =>
    Array.from(document.querySelector('orqestra-bell')!.shadowRoot!.querySelectorAll('[part~="item"]')).map((el) => ({
      id: (el as HTMLElement).dataset.id!,
      status: (el as HTMLElement).dataset.status!,
      title: el.querySelector('.title')!.textContent!,
      time: el.querySelector('time')!.textContent!,
    })),
  );
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await trigger(env.engineURL, env.apiKey, USER, 'Welcome to Acme', 'Your account is ready.');
  await trigger(env.engineURL, env.apiKey, USER, 'Invoice #1042 paid', 'Thanks! We received 49.00 EUR.');

  proxy = new CuttableProxy(Number(new URL(env.engineURL).port));
  await proxy.listen(env.proxyPort);
  host = hostApp({
    engineURL: env.engineURL,
    publicEngineURL: `http://127.0.0.1:${env.proxyPort}`,
    apiKey: env.apiKey,
    tenantId: env.tenantId,
    userId: USER,
  });
  await new Promise<void>((r) => (host.server as http.Server).listen(env.hostPort, '127.0.0.1', () => r()));

  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'orqestra-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 900, height: 560 },
    locale: 'en-US',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    // The browser logs failed connections itself while the test cuts the network; only
    // other errors count.
    if (m.type() === 'error' && !/WebSocket|ERR_|Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  page.on('request', async (req) => {
    seen.push(req.url(), req.postData() ?? '');
    try {
      const headers = await req.allHeaders();
      if ('x-api-key' in headers) apiKeyHeaderSent = true;
      seen.push(JSON.stringify(headers));
    } catch {
      /* request gone */
    }
  });
  page.on('response', async (res) => {
    try {
      seen.push(JSON.stringify(await res.allHeaders()), await res.text());
    } catch {
      /* redirects and aborted requests have no body */
    }
  });
  page.on('websocket', (ws) => {
    seen.push(ws.url());
    ws.on('framesent', (f) => seen.push(String(f.payload)));
    ws.on('framereceived', (f) => seen.push(String(f.payload)));
  });
});

afterAll(async () => {
  await context?.close();
  await proxy?.close();
  await new Promise((r) => host?.server.close(r));
});

describe('<orqestra-bell> in Chromium against the engine', () => {
  it('loads two UNREAD items from history', async () => {
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${env.hostPort}/`);
    const t1 = Date.now();
    await page.waitForFunction(() => document.querySelector('orqestra-bell')?.dataset.state === 'ready', null, { timeout: 15_000 });
    const t2 = Date.now();
    await page.waitForFunction(() => document.querySelector('orqestra-bell')?.dataset.realtime === 'connected', null, { timeout: 15_000 });
    console.log(`e2e: page load ${t1 - t0} ms, history shown +${t2 - t1} ms, realtime connected +${Date.now() - t2} ms`);
    const items = await itemsState();
    expect(items.map((i) => i.status)).toEqual(['UNREAD', 'UNREAD']);
    expect(items.map((i) => i.title)).toEqual(['Invoice #1042 paid', 'Welcome to Acme']);
    expect(await badgeText()).toBe('2');
    await shot('1-loaded');
  });

  it('shows a triggered notification within a second, without reload', async () => {
    const t0 = Date.now();
    await trigger(env.engineURL, env.apiKey, USER, 'Order #77 shipped', 'It is on its way.');
    await page.waitForFunction(
      () => document.querySelector('orqestra-bell')!.shadowRoot!.querySelector('[part="badge"]')!.textContent === '3',
      null,
      { timeout: 1000, polling: 10 },
    );
    console.log(`e2e: trigger → badge 3 in ${Date.now() - t0} ms`);
    await shot('2-badge-3');
  });

  it('opens with the new item first, "just now"', async () => {
    await page.locator('orqestra-bell').locator('[part="button"]').click();
    expect(await page.locator('orqestra-bell').locator('[part="button"]').getAttribute('aria-expanded')).toBe('true');
    const items = await itemsState();
    expect(items[0]).toMatchObject({ title: 'Order #77 shipped', status: 'UNREAD', time: 'just now' });
    expect(items).toHaveLength(3);
    await shot('3-open');
  });

  it('marks the clicked item READ, and the server agrees', async () => {
    const [first] = await itemsState();
    await page.locator('orqestra-bell').locator(`[data-id="${first.id}"]`).click();
    expect((await itemsState())[0].status).toBe('READ');
    expect(await badgeText()).toBe('2');
    let status = '';
    for (let i = 0; i < 50 && status !== 'READ'; i++) {
      status = (await history(env.engineURL, env.apiKey, env.tenantId, USER)).data.find((d) => d.id === first.id)?.status ?? '';
      if (status !== 'READ') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('READ');
    await shot('4-read');
  });

  it('gets a notification sent while the WebSocket was down', async () => {
    proxy.cut();
    await page.waitForFunction(() => document.querySelector('orqestra-bell')?.dataset.realtime !== 'connected', null, { timeout: 15_000 });
    await trigger(env.engineURL, env.apiKey, USER, 'Sent while offline', 'You were disconnected.');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await itemsState()).map((i) => i.title)).not.toContain('Sent while offline');
    const historyGets = () => seen.filter((x) => x.startsWith('http') && x.includes('/api/v1/notifications/') && !x.includes('/read')).length;
    const getsBefore = historyGets();
    const t0 = Date.now();
    proxy.restore();
    await page.waitForFunction(
      () =>
        Array.from(document.querySelector('orqestra-bell')!.shadowRoot!.querySelectorAll('[part~="item"] .title')).some(
          (t) => t.textContent === 'Sent while offline',
        ),
      null,
      { timeout: 30_000 },
    );
    console.log(
      `e2e: missed notification shown ${Date.now() - t0} ms after the network came back ` +
        `(history refetches: ${historyGets() - getsBefore}; 0 means centrifuge recovery delivered it)`,
    );
    const items = await itemsState();
    expect(items[0]).toMatchObject({ title: 'Sent while offline', status: 'UNREAD' });
    expect(items.filter((i) => i.title === 'Sent while offline')).toHaveLength(1);
    expect(await badgeText()).toBe('3');
    await shot('5-after-reconnect');
  });

  it('reloads history when more was missed than the engine could replay', async () => {
    proxy.cut();
    await page.waitForFunction(() => document.querySelector('orqestra-bell')?.dataset.realtime !== 'connected', null, { timeout: 15_000 });
    // The engine keeps 3 publications per user channel here (ORQESTRA_REALTIME_HISTORY_SIZE).
    for (let i = 1; i <= 4; i++) await trigger(env.engineURL, env.apiKey, USER, `Burst ${i}`, 'While offline.');
    const historyGets = () => seen.filter((x) => x.startsWith('http') && x.includes('/api/v1/notifications/') && !x.includes('/read')).length;
    const getsBefore = historyGets();
    proxy.restore();
    await page.waitForFunction(
      () => document.querySelector('orqestra-bell')!.shadowRoot!.querySelectorAll('[part~="item"]').length === 8,
      null,
      { timeout: 30_000 },
    );
    expect((await itemsState()).slice(0, 4).map((i) => i.title)).toEqual(['Burst 4', 'Burst 3', 'Burst 2', 'Burst 1']);
    expect(historyGets() - getsBefore).toBeGreaterThanOrEqual(1);
    expect(await badgeText()).toBe('7');
    await shot('6-after-resync');
  });

  it('can be created with document.createElement (as React and Vue do)', async () => {
    const r = await page.evaluate(() => {
      const b = document.createElement('orqestra-bell');
      return { attrs: b.attributes.length, shadow: !!b.shadowRoot, ctor: b.constructor.name };
    });
    expect(r).toMatchObject({ attrs: 0, shadow: true });
  });

  it('never exposes the API key to the page', async () => {
    const dump = await page.evaluate(() => {
      const bell = document.querySelector('orqestra-bell')!;
      const globals: string[] = [];
      for (const k of Object.getOwnPropertyNames(window)) {
        try {
          const v = (window as unknown as Record<string, unknown>)[k];
          if (typeof v === 'string') globals.push(v);
          else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) globals.push(JSON.stringify(v));
        } catch {
          /* cross-origin or throwing getters */
        }
      }
      return [
        document.documentElement.outerHTML,
        bell.shadowRoot!.innerHTML,
        JSON.stringify(bell.notifications),
        JSON.stringify({ ...localStorage }),
        JSON.stringify({ ...sessionStorage }),
        document.cookie,
        performance.getEntries().map((e) => e.name).join('\n'),
        ...globals,
      ].join('\n');
    });
    expect(seen.length).toBeGreaterThan(10);
    expect(dump.includes(env.apiKey)).toBe(false);
    expect(seen.filter((s) => s.includes(env.apiKey))).toEqual([]);
    expect(apiKeyHeaderSent).toBe(false);
    expect(host.tokenCalls()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
