import { type RealtimeOptions, type TokenProvider } from './client';
import type { HistoryPage, NotificationStatus, RealtimeNotification } from './types';
/**
 * What the bell needs from a client. `OrqestraClient` implements it; tests and unusual hosts
 * may hand the element their own through the `client` property.
 */
export interface BellClient {
    fetchHistory(userId: string, query?: {
        limit?: number;
        cursor?: string;
    }): Promise<HistoryPage>;
    markRead(userId: string, notificationId: string): Promise<void>;
    markAllRead(userId: string): Promise<number>;
    connectRealtime(userId: string, onNotification: (data: RealtimeNotification) => void, options?: RealtimeOptions): Promise<unknown>;
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
declare const Base: typeof HTMLElement;
/**
 * `<orqestra-bell>`: a notification bell with unread badge and dropdown, framework-free.
 *
 * Attributes: `host` (engine base URL), `tenant-id`, `user-id`, `token-url` (your backend route
 * returning `{token, channels}`), optional `limit`, `locale`, `align="start"`.
 * Shadow parts: `button`, `badge`, `panel`, `item` (plus `unread`/`read`), `header`,
 * `mark-all`, `list`, `status`, `load-more`. Items carry `data-id` and `data-status`.
 */
export declare class OrqestraBell extends Base {
    /** Attributes whose change restarts the bell with the new configuration. */
    static get observedAttributes(): string[];
    /** Optional client to use instead of one built from the attributes. */
    client: BellClient | null;
    /** Optional async token source; wins over `token-url`. */
    tokenProvider: TokenProvider | null;
    private readonly root;
    private readonly uid;
    private readonly button;
    private readonly badge;
    private readonly panel;
    private readonly list;
    private readonly statusEl;
    private readonly markAllBtn;
    private readonly footer;
    private readonly loadMoreBtn;
    private readonly live;
    private readonly rows;
    private items;
    private unread;
    private nextCursor;
    private phase;
    private errorText;
    private isOpen;
    private activeId;
    private readonly pendingRead;
    private active;
    private userId;
    private gen;
    private restartQueued;
    private tick;
    constructor();
    connectedCallback(): void;
    disconnectedCallback(): void;
    attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void;
    /** Number of unread notifications shown in the badge. */
    get unreadCount(): number;
    /** A copy of the notifications currently held, newest first. */
    get notifications(): BellItem[];
    /** Whether the dropdown is open. */
    get expanded(): boolean;
    /** Opens the dropdown. */
    show(): void;
    /** Closes the dropdown; with `focusButton`, focus returns to the bell button. */
    hide(focusButton?: boolean): void;
    /** Opens or closes the dropdown. */
    toggle(): void;
    /** Throws away what is shown and loads history again, reconnecting realtime too. */
    refresh(): void;
    private readonly onOutsidePointer;
    private queueRestart;
    private stop;
    private start;
    private limit;
    private fail;
    /** Loads the newest page and merges it in (used on start, first subscribe and resync). */
    private loadFirstPage;
    private loadMore;
    private onNotification;
    /** Activating an item marks it read (optimistically, reverted on failure) and tells the host. */
    private select;
    private markAllRead;
    private announce;
    private onButtonKey;
    private onListKey;
    private rowOrder;
    private focusRow;
    private updateTimes;
    private render;
    private createRow;
    private fillRow;
}
/** Registers `<orqestra-bell>` once; a no-op outside browsers or when already defined. */
export declare function defineBell(name?: string): void;
declare global {
    interface HTMLElementTagNameMap {
        'orqestra-bell': OrqestraBell;
    }
}
export {};
