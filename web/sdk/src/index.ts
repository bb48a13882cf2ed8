/**
 * @orqestra/browser: the browser side of Orqestra.
 *
 * Importing this module registers the `<orqestra-bell>` custom element (in browsers) and
 * exports the realtime client for apps that draw their own UI.
 */
import { defineBell } from './bell';

export {
  OrqestraClient,
  OrqestraError,
  createClient,
  decodeTokenClaims,
  websocketURL,
  type ClientOptions,
  type HistoryQuery,
  type RealtimeConnection,
  type RealtimeOptions,
  type TokenProvider,
} from './client';
export { OrqestraBell, defineBell, type BellClient, type BellItem, type BellSelectDetail } from './bell';
export { relativeTime, JUST_NOW_SECONDS } from './time';
export type {
  EngineErrorBody,
  HistoryItem,
  HistoryPage,
  NotificationStatus,
  RealtimeNotification,
  RealtimeToken,
} from './types';

defineBell();
