import { Centrifuge, UnauthorizedError } from 'centrifuge';
import type { Subscription } from 'centrifuge';
import type {
  EngineErrorBody,
  HistoryPage,
  RealtimeNotification,
  RealtimeToken,
} from './types';

/** A function that returns a fresh user token, e.g. by calling your own backend. */
export type TokenProvider = (userId: string) => Promise<RealtimeToken>;

/** How a client reaches the engine and where its user tokens come from. */
export interface ClientOptions {
  /** Engine base URL, e.g. `https://notifications.example.com`. Defaults to the page's origin. */
  host?: string;
  /**
   * Tenant id used in history and mark-read paths. When absent, it is read from the
   * `tenant` claim of the user token (the token is not verified here, the engine does that).
   */
  tenantId?: string;
  /**
   * Your backend's route that returns `{token, channels}` for the signed-in user. Called with
   * `POST`, JSON `{"userId": ...}` and `credentials: 'include'`, so your session cookie
   * decides who the user is. This is the browser default: the API key stays on your server.
   */
  tokenUrl?: string;
  /** Any async function returning `{token, channels}`; wins over `tokenUrl`. */
  tokenProvider?: TokenProvider;
  /**
   * Server-side JavaScript only: the tenant API key, sent as `x-api-key`.
   * Never set this in a browser; anyone can read it there.
   */
  apiKey?: string;
  /**
   * A user token your page already has (e.g. rendered by your server). Without a token source
   * it is refreshed through the engine's realtime-token endpoint using itself as the Bearer.
   */
  token?: string;
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** WebSocket constructor for runtimes without a global one (Node: `require('ws')`). */
  websocket?: unknown;
  /** Per-request timeout in milliseconds (default 10000). */
  timeoutMs?: number;
}

/** Filters for one history page. */
export interface HistoryQuery {
  limit?: number;
  cursor?: string;
}

/** Callbacks for `connectRealtime` beyond the notification itself. */
export interface RealtimeOptions {
  /**
   * Called when publications may have been missed: a resubscribe after a disconnect whose
   * missed publications the server could not recover. Refetch history here.
   */
  onResync?: (channel: string) => void;
  /** Called on every successful (re)subscribe; `first` is true for the first one per channel. */
  onSubscribed?: (info: { channel: string; first: boolean; recovered: boolean }) => void;
  /** Connection state changes: `connecting`, `connected`, `disconnected`. */
  onState?: (state: 'connecting' | 'connected' | 'disconnected') => void;
}

/** A live realtime connection, returned by `connectRealtime`. */
export interface RealtimeConnection {
  /** The centrifuge-js client, for advanced use. */
  centrifuge: Centrifuge;
  /** The channels subscribed to. */
  channels: string[];
}

/** An HTTP error from the engine or from the token route, with the engine's error body when present. */
export class OrqestraError extends Error {
  /** HTTP status, or 0 when the request never got an answer. */
  readonly status: number;
  /** Parsed error body, if it was JSON. */
  readonly body: EngineErrorBody | undefined;

  constructor(message: string, status: number, body?: EngineErrorBody) {
    super(message);
    this.name = 'OrqestraError';
    this.status = status;
    this.body = body;
  }
}

interface CachedToken {
  token: string;
  channels: string[];
  /** Expiry in ms since epoch; 0 when the token carries no exp. */
  expiresAt: number;
}

/** Refresh a token this long before it expires, so a request never races its expiry. */
const REFRESH_MARGIN_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Reads the claims of a JWT without verifying it. The browser only needs `exp` (to refresh in
 * time) and `tenant`; the engine verifies the signature on every request.
 */
export function decodeTokenClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bin = atob(padded);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

function defaultHost(): string {
  const loc = (globalThis as { location?: { origin?: string } }).location;
  return loc?.origin && loc.origin !== 'null' ? loc.origin : '';
}

/** Turns an engine base URL into its WebSocket endpoint (http→ws, https→wss). */
export function websocketURL(host: string): string {
  const u = new URL(trimSlash(host) + '/connection/websocket');
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

function asString(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v);
}

/** Normalises publication data so callers always get the six documented string fields. */
export function toRealtimeNotification(data: unknown): RealtimeNotification | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  const id = asString(d.id);
  if (!id) return null;
  return {
    id,
    title: asString(d.title),
    body: asString(d.body),
    category: asString(d.category),
    eventType: asString(d.eventType),
    createdAt: asString(d.createdAt) || new Date().toISOString(),
  };
}

/**
 * Talks to one Orqestra engine for one application: user tokens, history, mark-read and the
 * realtime WebSocket. Methods are bound, so `const { connectRealtime } = client` works.
 */
export class OrqestraClient {
  private readonly host: string;
  private readonly opts: ClientOptions;
  private readonly fetchImpl: typeof fetch;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private realtime: { centrifuge: Centrifuge; subs: Subscription[] } | null = null;
  /** Bumped by every connect and disconnect, so a connect still waiting for its token gives up. */
  private realtimeGen = 0;

  constructor(opts: ClientOptions = {}) {
    this.opts = opts;
    this.host = trimSlash(opts.host || defaultHost());
    const f = opts.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new Error('orqestra: no fetch available; pass options.fetch');
    this.fetchImpl = f.bind(globalThis);
  }

  /**
   * Gets a fresh `{token, channels}` for the user from the configured source (your backend's
   * token route, a token provider, or with an API key the engine itself) and caches it.
   */
  requestRealtimeToken = async (userId: string): Promise<RealtimeToken> => {
    const t = await this.refreshToken(userId);
    return { token: t.token, channels: [...t.channels] };
  };

  /** Fetches one page of the user's notification history, newest first. */
  fetchHistory = async (userId: string, query: HistoryQuery = {}): Promise<HistoryPage> => {
    const params = new URLSearchParams();
    if (query.limit) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const qs = params.toString();
    const path = `${await this.userPath(userId)}${qs ? `?${qs}` : ''}`;
    const page = (await this.engineJSON(userId, 'GET', path)) as HistoryPage;
    if (!page || !Array.isArray(page.data)) {
      throw new OrqestraError('orqestra: history response has no data array', 200);
    }
    return page;
  };

  /** Marks one notification read on the server. */
  markRead = async (userId: string, notificationId: string): Promise<void> => {
    const path = `${await this.userPath(userId)}/${encodeURIComponent(notificationId)}/read`;
    await this.engineJSON(userId, 'PUT', path);
  };

  /** Marks every unread notification of the user read; returns how many changed. */
  markAllRead = async (userId: string): Promise<number> => {
    const res = (await this.engineJSON(userId, 'PUT', `${await this.userPath(userId)}/read-all`)) as {
      updated?: number;
    };
    return typeof res?.updated === 'number' ? res.updated : 0;
  };

  /**
   * Connects to the engine's WebSocket with centrifuge-js, subscribes to every channel of the
   * user's token and calls `onNotification` for each publication. Tokens are refreshed through
   * centrifuge's `getToken`; reconnects are automatic and missed publications are recovered by
   * the server, or reported through `onResync` when they cannot be.
   */
  connectRealtime = async (
    userId: string,
    onNotification: (data: RealtimeNotification) => void,
    options: RealtimeOptions = {},
  ): Promise<RealtimeConnection> => {
    this.disconnectRealtime();
    const gen = this.realtimeGen;
    const first = await this.refreshToken(userId);
    if (gen !== this.realtimeGen) {
      throw new OrqestraError('orqestra: connectRealtime cancelled by a later connect or disconnect', 0);
    }
    const centrifuge = new Centrifuge(websocketURL(this.host || defaultHost()), {
      token: first.token,
      getToken: async () => {
        try {
          return (await this.refreshToken(userId)).token;
        } catch (err) {
          // 401/403 from the token source means the user is signed out: stop reconnecting.
          if (err instanceof OrqestraError && (err.status === 401 || err.status === 403)) {
            throw new UnauthorizedError(err.message);
          }
          throw err;
        }
      },
      ...(this.opts.websocket ? { websocket: this.opts.websocket } : {}),
    });
    centrifuge.on('connecting', () => options.onState?.('connecting'));
    centrifuge.on('connected', () => options.onState?.('connected'));
    centrifuge.on('disconnected', () => options.onState?.('disconnected'));

    const subs = first.channels.map((channel) => {
      const sub = centrifuge.newSubscription(channel);
      let subscribedOnce = false;
      sub.on('publication', (ctx) => {
        const n = toRealtimeNotification(ctx.data);
        if (n) onNotification(n);
      });
      sub.on('subscribed', (ctx) => {
        const isFirst = !subscribedOnce;
        subscribedOnce = true;
        const recovered = ctx.wasRecovering && ctx.recovered;
        options.onSubscribed?.({ channel, first: isFirst, recovered });
        // Anything but a successful recovery after a gap may have lost publications.
        if (!isFirst && !recovered) options.onResync?.(channel);
      });
      sub.subscribe();
      return sub;
    });
    this.realtime = { centrifuge, subs };
    centrifuge.connect();
    return { centrifuge, channels: [...first.channels] };
  };

  /** Closes the realtime connection, if any. Safe to call twice. */
  disconnectRealtime = (): void => {
    this.realtimeGen++;
    const rt = this.realtime;
    this.realtime = null;
    if (!rt) return;
    for (const sub of rt.subs) sub.removeAllListeners();
    rt.centrifuge.disconnect();
    rt.centrifuge.removeAllListeners();
  };

  private async userPath(userId: string): Promise<string> {
    let tenantId = this.opts.tenantId;
    if (!tenantId) {
      const t = await this.userToken(userId);
      tenantId = asString(decodeTokenClaims(t.token).tenant);
    }
    if (!tenantId) throw new Error('orqestra: tenantId is required (option or token claim)');
    return `/api/v1/notifications/${encodeURIComponent(tenantId)}/${encodeURIComponent(userId)}`;
  }

  /** A cached token that is still good for a while, or a fresh one. */
  private async userToken(userId: string): Promise<CachedToken> {
    const cached = this.tokens.get(userId);
    if (cached && (cached.expiresAt === 0 || cached.expiresAt - Date.now() > REFRESH_MARGIN_MS)) {
      return cached;
    }
    if (!cached && this.opts.token) {
      const seeded = this.cache(userId, { token: this.opts.token, channels: [] });
      if (seeded.expiresAt === 0 || seeded.expiresAt - Date.now() > REFRESH_MARGIN_MS) return seeded;
    }
    return this.refreshToken(userId);
  }

  /** Fetches a new token; concurrent callers share one request. */
  private refreshToken(userId: string): Promise<CachedToken> {
    const pending = this.inflight.get(userId);
    if (pending) return pending;
    const p = this.fetchToken(userId)
      .then((t) => this.cache(userId, t))
      .finally(() => this.inflight.delete(userId));
    this.inflight.set(userId, p);
    return p;
  }

  private cache(userId: string, t: RealtimeToken): CachedToken {
    const exp = decodeTokenClaims(t.token).exp;
    const entry: CachedToken = {
      token: t.token,
      channels: Array.isArray(t.channels) ? t.channels.map(asString) : [],
      expiresAt: typeof exp === 'number' ? exp * 1000 : 0,
    };
    this.tokens.set(userId, entry);
    return entry;
  }

  private async fetchToken(userId: string): Promise<RealtimeToken> {
    const { tokenProvider, tokenUrl, apiKey } = this.opts;
    let t: unknown;
    if (tokenProvider) {
      t = await tokenProvider(userId);
    } else if (tokenUrl) {
      t = await this.requestJSON(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ userId }),
        credentials: 'include',
      });
    } else if (apiKey) {
      t = await this.requestJSON(this.host + '/api/v1/auth/realtime-token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ userId }),
      });
    } else {
      const current = this.tokens.get(userId)?.token ?? this.opts.token;
      if (!current) {
        throw new Error('orqestra: no token source; set tokenUrl, tokenProvider, token or (server-side) apiKey');
      }
      t = await this.requestJSON(this.host + '/api/v1/auth/realtime-token', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          Authorization: `Bearer ${current}`,
        },
        body: JSON.stringify({ userId }),
      });
    }
    const rt = t as Partial<RealtimeToken> | null;
    if (!rt || typeof rt.token !== 'string' || !rt.token) {
      throw new OrqestraError('orqestra: token response has no token', 200);
    }
    return { token: rt.token, channels: Array.isArray(rt.channels) ? rt.channels : [] };
  }

  /** Calls an engine route as the user; a 401 with a Bearer token refreshes it once and retries. */
  private async engineJSON(userId: string, method: string, path: string): Promise<unknown> {
    const call = async (): Promise<unknown> => {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (this.opts.apiKey) {
        headers['x-api-key'] = this.opts.apiKey;
      } else {
        headers.Authorization = `Bearer ${(await this.userToken(userId)).token}`;
      }
      return this.requestJSON(this.host + path, { method, headers });
    };
    try {
      return await call();
    } catch (err) {
      if (!this.opts.apiKey && err instanceof OrqestraError && err.status === 401) {
        this.tokens.delete(userId);
        return call();
      }
      throw err;
    }
  }

  private async requestJSON(url: string, init: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        ...init,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      throw new OrqestraError(`orqestra: ${init.method ?? 'GET'} ${url}: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const eb = body as EngineErrorBody | undefined;
      const msg = Array.isArray(eb?.message) ? eb?.message.join('; ') : eb?.message;
      throw new OrqestraError(`orqestra: ${init.method ?? 'GET'} ${url}: ${res.status} ${msg ?? res.statusText}`, res.status, eb);
    }
    return body;
  }
}

/** Creates a client; see `ClientOptions`. */
export function createClient(options: ClientOptions = {}): OrqestraClient {
  return new OrqestraClient(options);
}
