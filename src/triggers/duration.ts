import { z } from 'zod';
import { parseDuration } from '../kinds/train/duration.js';

/** A zod field for durations written `3s`, `30m`, `2h` (one parser: kinds/train/duration.ts); the parsed value is milliseconds. */
export const Duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration: write a number and a unit, e.g. 30s, 15m, 6h, 1d` });
    return z.NEVER;
  }
  return ms;
});

export { parseDuration } from '../kinds/train/duration.js';
