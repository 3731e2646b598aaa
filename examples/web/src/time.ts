const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];
const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "5 minutes ago", "yesterday"… */
export function timeAgo(iso: string): string {
  // Clocks differ a little: a time just ahead of ours is "just now" too.
  const elapsed = Math.min(Date.parse(iso) - Date.now(), 0);
  for (const [unit, ms] of UNITS) if (Math.abs(elapsed) >= ms) return format.format(Math.round(elapsed / ms), unit);
  return 'just now';
}
