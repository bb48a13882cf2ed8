import { describe, expect, it } from 'vitest';
import { relativeTime } from '../src/time';

describe('relativeTime', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const ago = (s: number) => new Date(now - s * 1000).toISOString();
  it.each([
    [0, 'just now'],
    [44, 'just now'],
    [-30, 'just now'], // clock skew
    [45, '1 minute ago'],
    [119, '1 minute ago'],
    [180, '3 minutes ago'],
    [3599, '59 minutes ago'],
    [3600, '1 hour ago'],
    [5 * 3600, '5 hours ago'],
    [86400, 'yesterday'],
    [3 * 86400, '3 days ago'],
    [14 * 86400, '2 weeks ago'],
    [60 * 86400, '2 months ago'],
    [400 * 86400, 'last year'],
  ])('%i seconds → %s', (s, want) => {
    expect(relativeTime(ago(s), now, 'en')).toBe(want);
  });
  it('localises', () => {
    expect(relativeTime(ago(180), now, 'de')).toBe('vor 3 Minuten');
    expect(relativeTime(ago(1), now, 'fr')).toBe('maintenant');
  });
  it('returns empty for an invalid date', () => {
    expect(relativeTime('garbage', now)).toBe('');
  });
});
