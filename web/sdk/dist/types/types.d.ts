/** Read state of one in-app notification, as the engine stores it. */
export type NotificationStatus = 'UNREAD' | 'READ';
/**
 * The data of one realtime publication on a user's channel
 * (`notifications:<tenantId>#<userId>`), passed to `onNotification`.
 */
export interface RealtimeNotification {
    id: string;
    title: string;
    body: string;
    category: string;
    eventType: string;
    /** RFC 3339 time the engine stored the notification. */
    createdAt: string;
}
/** One row of GET /api/v1/notifications/{tenantId}/{userId}, exactly as the engine sends it. */
export interface HistoryItem {
    id: string;
    type: string;
    title: string;
    body: string;
    status: NotificationStatus;
    created_at: string;
    category?: string;
    eventType?: string;
}
/** The whole history response. */
export interface HistoryPage {
    success: boolean;
    data: HistoryItem[];
    /** Opaque cursor for the next (older) page; empty or absent on the last page. */
    nextCursor?: string | null;
    /** Unread notifications of this user in total, not only on this page. */
    unreadCount?: number;
}
/** What POST /api/v1/auth/realtime-token returns, and what a host backend's token route must return. */
export interface RealtimeToken {
    token: string;
    channels: string[];
}
/** The engine's error body: {"statusCode","message","error"}. */
export interface EngineErrorBody {
    statusCode?: number;
    message?: string | string[];
    error?: string;
    retryAfter?: number;
}
