import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds in a duration written `500ms`, `3s`, `30m`, `2h` or `1d`; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNITS[m[2]];
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}

/** Milliseconds of a duration the schema already checked. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`not a duration: ${text}`);
  return ms;
}

/** A zod field for a duration: kept as written (so specs round-trip), checked here. */
export const Duration = z.string()
  .refine((s) => parseDuration(s) !== null, 'a duration like 3s, 30m or 2h')
  .describe('a duration: a number and a unit, ms, s, m, h or d, e.g. 30m');
