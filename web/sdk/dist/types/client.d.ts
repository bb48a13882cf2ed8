import { Centrifuge } from 'centrifuge';
import type { EngineErrorBody, HistoryPage, RealtimeNotification, RealtimeToken } from './types';
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
    onSubscribed?: (info: {
        channel: string;
        first: boolean;
        recovered: boolean;
    }) => void;
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
export declare class OrqestraError extends Error {
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number;
    /** Parsed error body, if it was JSON. */
    readonly body: EngineErrorBody | undefined;
    constructor(message: string, status: number, body?: EngineErrorBody);
}
/**
 * Reads the claims of a JWT without verifying it. The browser only needs `exp` (to refresh in
 * time) and `tenant`; the engine verifies the signature on every request.
 */
export declare function decodeTokenClaims(token: string): Record<string, unknown>;
/** Turns an engine base URL into its WebSocket endpoint (http→ws, https→wss). */
export declare function websocketURL(host: string): string;
/** Normalises publication data so callers always get the six documented string fields. */
export declare function toRealtimeNotification(data: unknown): RealtimeNotification | null;
/**
 * Talks to one Orqestra engine for one application: user tokens, history, mark-read and the
 * realtime WebSocket. Methods are bound, so `const { connectRealtime } = client` works.
 */
export declare class OrqestraClient {
    private readonly host;
    private readonly opts;
    private readonly fetchImpl;
    private readonly tokens;
    private readonly inflight;
    private realtime;
    /** Bumped by every connect and disconnect, so a connect still waiting for its token gives up. */
    private realtimeGen;
    constructor(opts?: ClientOptions);
    /**
     * Gets a fresh `{token, channels}` for the user from the configured source (your backend's
     * token route, a token provider, or with an API key the engine itself) and caches it.
     */
    requestRealtimeToken: (userId: string) => Promise<RealtimeToken>;
    /** Fetches one page of the user's notification history, newest first. */
    fetchHistory: (userId: string, query?: HistoryQuery) => Promise<HistoryPage>;
    /** Marks one notification read on the server. */
    markRead: (userId: string, notificationId: string) => Promise<void>;
    /** Marks every unread notification of the user read; returns how many changed. */
    markAllRead: (userId: string) => Promise<number>;
    /**
     * Connects to the engine's WebSocket with centrifuge-js, subscribes to every channel of the
     * user's token and calls `onNotification` for each publication. Tokens are refreshed through
     * centrifuge's `getToken`; reconnects are automatic and missed publications are recovered by
     * the server, or reported through `onResync` when they cannot be.
     */
    connectRealtime: (userId: string, onNotification: (data: RealtimeNotification) => void, options?: RealtimeOptions) => Promise<RealtimeConnection>;
    /** Closes the realtime connection, if any. Safe to call twice. */
    disconnectRealtime: () => void;
    private userPath;
    /** A cached token that is still good for a while, or a fresh one. */
    private userToken;
    /** Fetches a new token; concurrent callers share one request. */
    private refreshToken;
    private cache;
    private fetchToken;
    /** Calls an engine route as the user; a 401 with a Bearer token refreshes it once and retries. */
    private engineJSON;
    private requestJSON;
}
/** Creates a client; see `ClientOptions`. */
export declare function createClient(options?: ClientOptions): OrqestraClient;
