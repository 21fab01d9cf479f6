import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `3s`, `30m`, `2h`, `1d`, `250ms` into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : null;
}

/** A zod field for durations written `3s`, `30m`, `2h`; the parsed value is milliseconds. */
export const Duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration: write a number and a unit, e.g. 30s, 15m, 6h, 1d` });
    return z.NEVER;
  }
  return ms;
});
