import { parse as parseCron, validate as validateCron } from 'node-cron';
import { OrtqError } from '../../errors.js';

/**
 * Pure cron time logic for the scheduler: which ticks an expression has in a
 * timezone between two instants. node-cron fires the ticks; this decides
 * their logical time (so two schedulers agree on it) and the missed ticks to
 * catch up. Expressions have 5 fields, or 6 with seconds first.
 */
export interface CronSpec {
  expr: string;
  timezone: string;
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  lastDay: boolean;
  months: Set<number>;
  weekdays: Set<number>;
}

export function compileCron(expr: string, timezone = 'UTC'): CronSpec {
  if (!validateCron(expr)) throw new OrtqError('ORTQ_CONFIG_INVALID', `"${expr}" is not a valid cron expression`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `"${timezone}" is not a known timezone (use an IANA name such as Europe/Paris)`);
  }
  const f = parseCron(expr);
  const nums = (xs: Array<number | string>) => xs.filter((x): x is number => typeof x === 'number');
  // 7 means Sunday only in the weekday field; in day of month it is the 7th
  const weekdays = new Set(nums(f.dayOfWeek).map((x) => (x === 7 ? 0 : x)));
  return {
    expr, timezone,
    seconds: new Set(f.second), minutes: new Set(f.minute), hours: new Set(f.hour),
    days: new Set(nums(f.dayOfMonth)), lastDay: f.dayOfMonth.includes('L'),
    months: new Set(f.month), weekdays,
  };
}

export interface ZonedParts { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Wall-clock fields of an instant in a timezone. */
export function zonedParts(date: Date, timezone: string): ZonedParts {
  let fmt = formatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short',
    });
    formatters.set(timezone, fmt);
  }
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(date)) p[part.type] = part.value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second), weekday: WEEKDAYS[p.weekday],
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether the expression matches the instant (to the second) in its timezone. Day of month and weekday must both match. */
export function cronMatches(spec: CronSpec, date: Date): boolean {
  const z = zonedParts(date, spec.timezone);
  const dayOk = spec.days.has(z.day) || (spec.lastDay && z.day === daysInMonth(z.year, z.month));
  return spec.seconds.has(z.second) && spec.minutes.has(z.minute) && spec.hours.has(z.hour)
    && dayOk && spec.months.has(z.month) && spec.weekdays.has(z.weekday);
}

/**
 * Ticks in (after, until], oldest first, at most the newest `limit`. Steps a
 * minute at a time (whole-minute timezone offsets), trying the second values
 * inside each matching minute.
 */
export function ticksBetween(spec: CronSpec, after: Date, until: Date, limit = Infinity): Date[] {
  const out: Date[] = [];
  const seconds = [...spec.seconds].sort((a, b) => a - b);
  // walk backwards from `until` so that the limit keeps the newest ticks
  let minute = Math.floor(until.getTime() / 60_000) * 60_000;
  const stop = Math.floor(after.getTime() / 60_000) * 60_000;
  while (minute >= stop && out.length < limit) {
    const m = new Date(minute);
    const z = zonedParts(m, spec.timezone);
    const dayOk = spec.days.has(z.day) || (spec.lastDay && z.day === daysInMonth(z.year, z.month));
    if (spec.minutes.has(z.minute) && spec.hours.has(z.hour) && dayOk && spec.months.has(z.month) && spec.weekdays.has(z.weekday)) {
      for (let i = seconds.length - 1; i >= 0 && out.length < limit; i--) {
        const t = minute + seconds[i] * 1000;
        if (t > after.getTime() && t <= until.getTime()) out.push(new Date(t));
      }
    }
    minute -= 60_000;
  }
  return out.reverse();
}

/** The latest tick at or before `now` within `lookbackMs`, or null: the logical time of a firing. */
export function lastTickAtOrBefore(spec: CronSpec, now: Date, lookbackMs = 24 * 3600_000): Date | null {
  const ticks = ticksBetween(spec, new Date(now.getTime() - lookbackMs), now, 1);
  return ticks[0] ?? null;
}

/** A compact, id-safe form of a tick's time: `20250102T030000Z`. */
export function tickStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
