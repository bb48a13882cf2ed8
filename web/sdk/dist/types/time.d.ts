/** Below this age a notification reads "just now" rather than "12 seconds ago". */
export declare const JUST_NOW_SECONDS = 45;
/**
 * Formats the age of `then` relative to `now` as "3 minutes ago", using
 * Intl.RelativeTimeFormat in the given locale; "just now" (or the locale's "now") under 45 s.
 * Times in the future (clock skew between engine and browser) also read as "just now".
 */
export declare function relativeTime(then: Date | string | number, now?: number, locale?: string): string;
