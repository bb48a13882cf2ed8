const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** Below this age a notification reads "just now" rather than "12 seconds ago". */
export const JUST_NOW_SECONDS = 45;

/**
 * Formats the age of `then` relative to `now` as "3 minutes ago", using
 * Intl.RelativeTimeFormat in the given locale; "just now" (or the locale's "now") under 45 s.
 * Times in the future (clock skew between engine and browser) also read as "just now".
 */
export function relativeTime(then: Date | string | number, now: number = Date.now(), locale?: string): string {
  const t = then instanceof Date ? then.getTime() : new Date(then).getTime();
  if (Number.isNaN(t)) return '';
  const seconds = Math.round((now - t) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (seconds < JUST_NOW_SECONDS) {
    const lang = rtf.resolvedOptions().locale;
    return lang.startsWith('en') ? 'just now' : rtf.format(0, 'second');
  }
  for (const [unit, size] of UNITS) {
    if (seconds >= size) {
      // Whole units elapsed, so 59 min 50 s never reads "60 minutes ago".
      return rtf.format(-Math.floor(seconds / size), unit);
    }
  }
  return rtf.format(-1, 'minute');
}
