import { createClient, type RealtimeOptions, type TokenProvider } from './client';
import { bellIcon, bellStyles } from './styles';
import { relativeTime } from './time';
import type { HistoryItem, HistoryPage, NotificationStatus, RealtimeNotification } from './types';

/**
 * What the bell needs from a client. `OrqestraClient` implements it; tests and unusual hosts
 * may hand the element their own through the `client` property.
 */
export interface BellClient {
  fetchHistory(userId: string, query?: { limit?: number; cursor?: string }): Promise<HistoryPage>;
  markRead(userId: string, notificationId: string): Promise<void>;
  markAllRead(userId: string): Promise<number>;
  connectRealtime(
    userId: string,
    onNotification: (data: RealtimeNotification) => void,
    options?: RealtimeOptions,
  ): Promise<unknown>;
  disconnectRealtime(): void;
}

/** One notification as the bell holds it. */
export interface BellItem {
  id: string;
  title: string;
  body: string;
  category: string;
  eventType: string;
  status: NotificationStatus;
  createdAt: string;
}

/** `detail` of the `orqestra-select` event, fired when the user activates an item. */
export type BellSelectDetail = BellItem;

type Phase = 'idle' | 'loading' | 'ready' | 'error';

const DEFAULT_LIMIT = 20;
/** How often relative times are redrawn while the panel is open. */
const TICK_MS = 10_000;

// Lets the module load in Node (server-side use of the client) where HTMLElement is absent.
const Base = (typeof HTMLElement !== 'undefined' ? HTMLElement : class {}) as typeof HTMLElement;

let instances = 0;

function fromHistory(h: HistoryItem): BellItem {
  return {
    id: String(h.id),
    title: h.title ?? '',
    body: h.body ?? '',
    category: h.category ?? '',
    eventType: h.eventType ?? h.type ?? '',
    status: h.status === 'READ' ? 'READ' : 'UNREAD',
    createdAt: h.created_at ?? '',
  };
}

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * `<orqestra-bell>`: a notification bell with unread badge and dropdown, framework-free.
 *
 * Attributes: `host` (engine base URL), `tenant-id`, `user-id`, `token-url` (your backend route
 * returning `{token, channels}`), optional `limit`, `locale`, `align="start"`.
 * Shadow parts: `button`, `badge`, `panel`, `item` (plus `unread`/`read`), `header`,
 * `mark-all`, `list`, `status`, `load-more`. Items carry `data-id` and `data-status`.
 */
export class OrqestraBell extends Base {
  /** Attributes whose change restarts the bell with the new configuration. */
  static get observedAttributes(): string[] {
    return ['host', 'tenant-id', 'user-id', 'token-url', 'limit'];
  }

  /** Optional client to use instead of one built from the attributes. */
  client: BellClient | null = null;
  /** Optional async token source; wins over `token-url`. */
  tokenProvider: TokenProvider | null = null;

  private readonly root: ShadowRoot;
  private readonly uid = `orq-bell-${++instances}`;
  private readonly button: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLDivElement;
  private readonly list: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly markAllBtn: HTMLButtonElement;
  private readonly footer: HTMLDivElement;
  private readonly loadMoreBtn: HTMLButtonElement;
  private readonly live: HTMLDivElement;
  private readonly rows = new Map<string, HTMLDivElement>();

  private items: BellItem[] = [];
  private unread = 0;
  private nextCursor = '';
  private phase: Phase = 'idle';
  private errorText = '';
  private isOpen = false;
  private activeId = '';
  private readonly pendingRead = new Set<string>();
  private active: BellClient | null = null;
  private userId = '';
  private gen = 0;
  private restartQueued = false;
  private tick: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const doc = this.ownerDocument ?? document;
    const style = el(doc, 'style');
    style.textContent = bellStyles;

    this.button = el(doc, 'button', {
      type: 'button',
      class: 'bell',
      part: 'button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': `${this.uid}-panel`,
      'aria-label': 'Notifications',
    });
    this.button.innerHTML = bellIcon; // static markup, no data
    this.badge = el(doc, 'span', { class: 'badge', part: 'badge', 'aria-hidden': 'true', hidden: '' });
    this.button.append(this.badge);

    this.panel = el(doc, 'div', { class: 'panel', part: 'panel', id: `${this.uid}-panel`, hidden: '' });
    const header = el(doc, 'div', { class: 'header', part: 'header' });
    const heading = el(doc, 'h2', { class: 'heading', id: `${this.uid}-heading` }, 'Notifications');
    this.markAllBtn = el(doc, 'button', { type: 'button', class: 'action', part: 'mark-all' }, 'Mark all as read');
    header.append(heading, this.markAllBtn);
    this.list = el(doc, 'div', {
      class: 'list',
      part: 'list',
      role: 'menu',
      'aria-labelledby': `${this.uid}-heading`,
    });
    this.statusEl = el(doc, 'div', { class: 'status', part: 'status', role: 'status' });
    this.footer = el(doc, 'div', { class: 'footer', hidden: '' });
    this.loadMoreBtn = el(doc, 'button', { type: 'button', class: 'action', part: 'load-more' }, 'Load older');
    this.footer.append(this.loadMoreBtn);
    this.panel.append(header, this.list, this.statusEl, this.footer);

    this.live = el(doc, 'div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.root.append(style, this.button, this.panel, this.live);

    this.button.addEventListener('click', () => this.toggle());
    this.button.addEventListener('keydown', (e) => this.onButtonKey(e));
    this.list.addEventListener('keydown', (e) => this.onListKey(e));
    this.list.addEventListener('click', (e) => {
      const row = (e.target as Element).closest?.('.item') as HTMLElement | null;
      if (row?.dataset.id) void this.select(row.dataset.id);
    });
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.hide(true);
      }
    });
    this.markAllBtn.addEventListener('click', () => void this.markAllRead());
    this.loadMoreBtn.addEventListener('click', () => void this.loadMore());
    this.statusEl.addEventListener('click', (e) => {
      if ((e.target as Element).closest?.('[data-action="retry"]')) this.refresh();
    });
    this.addEventListener('focusout', (e) => {
      const to = (e as FocusEvent).relatedTarget as Node | null;
      if (this.isOpen && to && !this.contains(to) && !this.root.contains(to)) this.hide(false);
    });
    this.render();
  }

  connectedCallback(): void {
    this.ownerDocument.addEventListener('pointerdown', this.onOutsidePointer, true);
    this.dataset.state = this.phase;
    this.queueRestart();
  }

  disconnectedCallback(): void {
    this.ownerDocument.removeEventListener('pointerdown', this.onOutsidePointer, true);
    this.stop();
  }

  attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue !== newValue && this.isConnected) this.queueRestart();
  }

  /** Number of unread notifications shown in the badge. */
  get unreadCount(): number {
    return this.unread;
  }

  /** A copy of the notifications currently held, newest first. */
  get notifications(): BellItem[] {
    return this.items.map((i) => ({ ...i }));
  }

  /** Whether the dropdown is open. */
  get expanded(): boolean {
    return this.isOpen;
  }

  /** Opens the dropdown. */
  show(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.tick = setInterval(() => this.updateTimes(), TICK_MS);
    this.render();
  }

  /** Closes the dropdown; with `focusButton`, focus returns to the bell button. */
  hide(focusButton = false): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    clearInterval(this.tick);
    this.tick = undefined;
    this.render();
    if (focusButton) this.button.focus();
  }

  /** Opens or closes the dropdown. */
  toggle(): void {
    if (this.isOpen) this.hide(false);
    else this.show();
  }

  /** Throws away what is shown and loads history again, reconnecting realtime too. */
  refresh(): void {
    this.queueRestart();
  }

  private readonly onOutsidePointer = (e: Event): void => {
    if (this.isOpen && !e.composedPath().includes(this)) this.hide(false);
  };

  // Frameworks set attributes one by one right after creating the element: restart once after.
  private queueRestart(): void {
    if (this.restartQueued) return;
    this.restartQueued = true;
    queueMicrotask(() => {
      this.restartQueued = false;
      if (this.isConnected) this.start();
    });
  }

  private stop(): void {
    this.gen++;
    this.active?.disconnectRealtime();
    this.active = null;
    clearInterval(this.tick);
    this.tick = undefined;
    this.isOpen = false;
  }

  private start(): void {
    this.stop();
    const gen = this.gen;
    const userId = this.getAttribute('user-id') ?? '';
    this.userId = userId;
    this.items = [];
    this.rows.clear();
    this.list.replaceChildren();
    this.unread = 0;
    this.nextCursor = '';
    this.activeId = '';
    this.pendingRead.clear();

    let client = this.client;
    if (!client) {
      const tokenUrl = this.getAttribute('token-url') ?? '';
      if (!userId || (!tokenUrl && !this.tokenProvider)) {
        this.phase = 'idle';
        this.render();
        return;
      }
      try {
        client = createClient({
          host: this.getAttribute('host') || undefined,
          tenantId: this.getAttribute('tenant-id') || undefined,
          tokenUrl: tokenUrl || undefined,
          tokenProvider: this.tokenProvider ?? undefined,
        });
      } catch (err) {
        this.fail(err);
        return;
      }
    } else if (!userId) {
      this.phase = 'idle';
      this.render();
      return;
    }
    this.active = client;
    this.phase = 'loading';
    this.render();

    void this.loadFirstPage(gen);
    client
      .connectRealtime(userId, (n) => this.onNotification(gen, n), {
        onResync: () => void this.loadFirstPage(gen),
        // History was read in parallel with subscribing: anything published in between is
        // in neither, so read the first page once more when the subscription is live.
        onSubscribed: ({ first }) => {
          if (first && gen === this.gen) void this.loadFirstPage(gen);
        },
        onState: (state) => {
          if (gen === this.gen) this.dataset.realtime = state;
        },
      })
      .catch((err: unknown) => {
        if (gen !== this.gen) return;
        this.dataset.realtime = 'disconnected';
        // History may still work (e.g. WebSockets blocked); only surface it if nothing loaded.
        if (this.phase !== 'ready') this.fail(err);
      });
  }

  private limit(): number {
    const n = Number(this.getAttribute('limit'));
    return Number.isInteger(n) && n > 0 && n <= 100 ? n : DEFAULT_LIMIT;
  }

  private fail(err: unknown): void {
    this.phase = 'error';
    this.errorText = 'Couldn’t load notifications.';
    this.dispatchEvent(new CustomEvent('orqestra-error', { detail: err, bubbles: true, composed: true }));
    this.render();
  }

  /** Loads the newest page and merges it in (used on start, first subscribe and resync). */
  private async loadFirstPage(gen: number): Promise<void> {
    const client = this.active;
    if (!client) return;
    let page: HistoryPage;
    try {
      page = await client.fetchHistory(this.userId, { limit: this.limit() });
    } catch (err) {
      if (gen !== this.gen) return;
      if (this.phase !== 'ready') this.fail(err);
      return;
    }
    if (gen !== this.gen) return;
    const fresh = page.data.map(fromHistory);
    const freshIds = new Set(fresh.map((i) => i.id));
    const newest = fresh.length ? Date.parse(fresh[0].createdAt) : Number.NEGATIVE_INFINITY;
    // Realtime arrivals the page does not have yet (published after the server read it).
    const newer = this.items.filter(
      (i) => !freshIds.has(i.id) && !(Date.parse(i.createdAt) < newest),
    );
    for (const i of fresh) {
      if (this.pendingRead.has(i.id)) i.status = 'READ';
    }
    const pageUnread = fresh.filter((i) => i.status === 'UNREAD').length;
    let unread = typeof page.unreadCount === 'number' ? page.unreadCount : pageUnread;
    unread -= page.data.filter((h) => h.status !== 'READ' && this.pendingRead.has(String(h.id))).length;
    unread += newer.filter((i) => i.status === 'UNREAD').length;
    this.items = [...newer, ...fresh];
    this.unread = Math.max(0, unread);
    this.nextCursor = page.nextCursor ?? '';
    this.phase = 'ready';
    this.render();
  }

  private async loadMore(): Promise<void> {
    const client = this.active;
    const gen = this.gen;
    if (!client || !this.nextCursor) return;
    this.loadMoreBtn.disabled = true;
    try {
      const page = await client.fetchHistory(this.userId, { limit: this.limit(), cursor: this.nextCursor });
      if (gen !== this.gen) return;
      const have = new Set(this.items.map((i) => i.id));
      this.items.push(...page.data.map(fromHistory).filter((i) => !have.has(i.id)));
      this.nextCursor = page.nextCursor ?? '';
    } catch {
      this.announce('Couldn’t load older notifications.');
    } finally {
      this.loadMoreBtn.disabled = false;
      this.render();
    }
  }

  private onNotification(gen: number, n: RealtimeNotification): void {
    if (gen !== this.gen) return;
    if (this.items.some((i) => i.id === n.id)) return;
    this.items.unshift({ ...n, status: 'UNREAD' });
    this.unread++;
    this.render();
    this.announce(`New notification: ${n.title}`);
    this.dispatchEvent(new CustomEvent('orqestra-notification', { detail: { ...n }, bubbles: true, composed: true }));
  }

  /** Activating an item marks it read (optimistically, reverted on failure) and tells the host. */
  private async select(id: string): Promise<void> {
    const item = this.items.find((i) => i.id === id);
    if (!item) return;
    this.activeId = id;
    this.dispatchEvent(new CustomEvent<BellSelectDetail>('orqestra-select', { detail: { ...item }, bubbles: true, composed: true }));
    if (item.status === 'READ' || !this.active) {
      this.render();
      return;
    }
    const client = this.active;
    const gen = this.gen;
    item.status = 'READ';
    this.unread = Math.max(0, this.unread - 1);
    this.pendingRead.add(id);
    this.render();
    try {
      await client.markRead(this.userId, id);
    } catch {
      if (gen !== this.gen) return;
      const again = this.items.find((i) => i.id === id);
      if (again && again.status === 'READ') {
        again.status = 'UNREAD';
        this.unread++;
      }
      this.announce('Couldn’t mark the notification as read.');
      this.render();
    } finally {
      this.pendingRead.delete(id);
    }
  }

  private async markAllRead(): Promise<void> {
    const client = this.active;
    const gen = this.gen;
    if (!client || this.unread === 0) return;
    const before = this.items.filter((i) => i.status === 'UNREAD').map((i) => i.id);
    const unreadBefore = this.unread;
    for (const i of this.items) i.status = 'READ';
    this.unread = 0;
    this.render();
    try {
      await client.markAllRead(this.userId);
      this.announce('All notifications marked as read.');
    } catch {
      if (gen !== this.gen) return;
      const ids = new Set(before);
      for (const i of this.items) if (ids.has(i.id)) i.status = 'UNREAD';
      this.unread = unreadBefore;
      this.announce('Couldn’t mark all notifications as read.');
      this.render();
    }
  }

  private announce(text: string): void {
    // Clearing first makes screen readers repeat identical consecutive messages.
    this.live.textContent = '';
    setTimeout(() => {
      this.live.textContent = text;
    }, 50);
  }

  private onButtonKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.show();
      const rows = this.rowOrder();
      if (rows.length) this.focusRow(e.key === 'ArrowDown' ? rows[0] : rows[rows.length - 1]);
    }
  }

  private onListKey(e: KeyboardEvent): void {
    const rows = this.rowOrder();
    if (!rows.length) return;
    const current = (e.target as HTMLElement).closest?.('.item') as HTMLDivElement | null;
    const idx = current ? rows.indexOf(current) : -1;
    let next: HTMLDivElement | undefined;
    switch (e.key) {
      case 'ArrowDown':
        next = rows[(idx + 1) % rows.length];
        break;
      case 'ArrowUp':
        next = rows[(idx - 1 + rows.length) % rows.length];
        break;
      case 'Home':
        next = rows[0];
        break;
      case 'End':
        next = rows[rows.length - 1];
        break;
      case 'Enter':
      case ' ':
        if (current?.dataset.id) {
          e.preventDefault();
          void this.select(current.dataset.id);
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.focusRow(next);
  }

  private rowOrder(): HTMLDivElement[] {
    return Array.from(this.list.children) as HTMLDivElement[];
  }

  private focusRow(row: HTMLDivElement): void {
    this.activeId = row.dataset.id ?? '';
    for (const r of this.rowOrder()) r.tabIndex = r === row ? 0 : -1;
    row.focus();
  }

  private updateTimes(): void {
    const now = Date.now();
    const locale = this.getAttribute('locale') || undefined;
    for (const t of this.list.querySelectorAll('time')) {
      t.textContent = relativeTime(t.dateTime, now, locale);
    }
  }

  private render(): void {
    const doc = this.ownerDocument ?? document;
    // Badge: hidden and empty at zero, "99+" beyond 99.
    const n = this.unread;
    this.badge.textContent = n > 0 ? (n > 99 ? '99+' : String(n)) : '';
    this.badge.hidden = n === 0;
    this.button.setAttribute('aria-label', n > 0 ? `Notifications, ${n} unread` : 'Notifications');
    this.button.setAttribute('aria-expanded', String(this.isOpen));
    this.panel.hidden = !this.isOpen;
    this.markAllBtn.disabled = n === 0;

    // Items: keyed update in place, so focus and scroll survive new arrivals.
    const now = Date.now();
    const locale = this.getAttribute('locale') || undefined;
    const keep = new Set(this.items.map((i) => i.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    if (!keep.has(this.activeId)) this.activeId = this.items[0]?.id ?? '';
    let prev: Element | null = null;
    for (const item of this.items) {
      let row = this.rows.get(item.id);
      if (!row) {
        row = this.createRow(doc, item.id);
        this.rows.set(item.id, row);
      }
      this.fillRow(row, item, now, locale);
      const want: Element | null = prev ? prev.nextElementSibling : this.list.firstElementChild;
      if (want !== row) this.list.insertBefore(row, want);
      prev = row;
    }

    // Status line: loading, error (with retry), empty.
    this.statusEl.classList.toggle('error', this.phase === 'error');
    this.statusEl.replaceChildren();
    if (this.phase === 'loading' && this.items.length === 0) {
      this.statusEl.textContent = 'Loading notifications…';
    } else if (this.phase === 'error') {
      this.statusEl.append(
        doc.createTextNode(this.errorText + ' '),
        el(doc, 'button', { type: 'button', class: 'action', 'data-action': 'retry' }, 'Retry'),
      );
    } else if (this.phase === 'idle') {
      this.statusEl.textContent = 'Notifications are not configured.';
    } else if (this.items.length === 0) {
      this.statusEl.textContent = 'You’re all caught up. No notifications yet.';
    }
    this.statusEl.hidden = this.statusEl.childNodes.length === 0;
    this.footer.hidden = !this.nextCursor;
    // The spec forbids a custom element's constructor from adding attributes to itself
    // (document.createElement would throw), so host attributes are set once connected.
    if (this.isConnected) this.dataset.state = this.phase;
  }

  private createRow(doc: Document, id: string): HTMLDivElement {
    const row = el(doc, 'div', { class: 'item', role: 'menuitem', 'data-id': id, tabindex: '-1' });
    const dot = el(doc, 'span', { class: 'dot', 'aria-hidden': 'true' });
    const content = el(doc, 'div', { class: 'content' });
    content.append(
      el(doc, 'span', { class: 'sr-only state' }),
      el(doc, 'div', { class: 'title', part: 'item-title' }),
      el(doc, 'div', { class: 'body', part: 'item-body' }),
      el(doc, 'time', { class: 'time', part: 'item-time' }),
    );
    row.append(dot, content);
    return row;
  }

  private fillRow(row: HTMLDivElement, item: BellItem, now: number, locale: string | undefined): void {
    row.dataset.status = item.status;
    row.setAttribute('part', item.status === 'UNREAD' ? 'item unread' : 'item read');
    row.tabIndex = item.id === this.activeId ? 0 : -1;
    const [stateEl, title, body, time] = Array.from(row.querySelectorAll('.state, .title, .body, .time'));
    stateEl.textContent = item.status === 'UNREAD' ? 'Unread: ' : '';
    if (title.textContent !== item.title) title.textContent = item.title;
    if (body.textContent !== item.body) body.textContent = item.body;
    const t = time as HTMLTimeElement;
    t.dateTime = item.createdAt;
    const d = new Date(item.createdAt);
    t.title = Number.isNaN(d.getTime()) ? '' : d.toLocaleString(locale);
    t.textContent = relativeTime(item.createdAt, now, locale);
  }
}

/** Registers `<orqestra-bell>` once; a no-op outside browsers or when already defined. */
export function defineBell(name = 'orqestra-bell'): void {
  if (typeof customElements === 'undefined' || customElements.get(name)) return;
  customElements.define(name, OrqestraBell);
}

declare global {
  interface HTMLElementTagNameMap {
    'orqestra-bell': OrqestraBell;
  }
}
