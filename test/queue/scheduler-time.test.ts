import { describe, expect, it } from 'vitest';
import { compileCron, cronMatches, lastTickAtOrBefore, tickStamp, ticksBetween } from '../../src/queue/scheduler/cron-time.js';
import { parseSchedules } from '../../src/queue/scheduler/schedules.js';
import { tickOverrides } from '../../src/queue/scheduler/scheduler.js';
import { renderTemplate, tickVars } from '../../src/queue/scheduler/template.js';

const at = (iso: string) => new Date(iso);

describe('cron time logic', () => {
  it('matches in the schedule timezone', () => {
    const paris = compileCron('0 2 * * *', 'Europe/Paris');
    expect(cronMatches(paris, at('2025-01-15T01:00:00Z'))).toBe(true); // 02:00 CET
    expect(cronMatches(paris, at('2025-07-15T00:00:00Z'))).toBe(true); // 02:00 CEST
    expect(cronMatches(paris, at('2025-07-15T01:00:00Z'))).toBe(false);
    expect(cronMatches(compileCron('0 2 * * *'), at('2025-01-15T02:00:00Z'))).toBe(true);
  });

  it('lists the ticks between two instants, newest kept under a limit', () => {
    const hourly = compileCron('0 * * * *');
    const ticks = ticksBetween(hourly, at('2025-01-01T00:00:00Z'), at('2025-01-01T05:30:00Z'));
    expect(ticks.map((t) => t.toISOString())).toEqual(['01', '02', '03', '04', '05'].map((h) => `2025-01-01T${h}:00:00.000Z`));
    expect(ticksBetween(hourly, at('2025-01-01T00:00:00Z'), at('2025-01-01T05:30:00Z'), 2).map((t) => t.getUTCHours())).toEqual([4, 5]);
    // the start is exclusive, the end inclusive
    expect(ticksBetween(hourly, at('2025-01-01T01:00:00Z'), at('2025-01-01T02:00:00Z')).map((t) => t.getUTCHours())).toEqual([2]);
  });

  it('handles seconds, weekdays, last day of month and DST gaps', () => {
    expect(ticksBetween(compileCron('*/20 * * * * *'), at('2025-01-01T00:00:00Z'), at('2025-01-01T00:01:00Z')).map((t) => t.getUTCSeconds())).toEqual([20, 40, 0]);
    const weekdays = ticksBetween(compileCron('0 9 * * 1-5'), at('2025-01-03T00:00:00Z'), at('2025-01-07T00:00:00Z'));
    expect(weekdays.map((t) => t.toISOString().slice(0, 10))).toEqual(['2025-01-03', '2025-01-06']); // Fri, Mon
    const eom = ticksBetween(compileCron('0 0 L * *'), at('2024-01-01T00:00:00Z'), at('2024-04-01T00:00:00Z'));
    expect(eom.map((t) => t.toISOString().slice(0, 10))).toEqual(['2024-01-31', '2024-02-29', '2024-03-31']);
    // 02:30 does not exist in Paris on 2025-03-30
    expect(ticksBetween(compileCron('30 2 * * *', 'Europe/Paris'), at('2025-03-29T12:00:00Z'), at('2025-03-31T12:00:00Z')).map((t) => t.toISOString())).toEqual(['2025-03-31T00:30:00.000Z']);
  });

  it('reads 7 as Sunday in the weekday field only, not as the 7th in day of month', () => {
    // every second on any day: the 7th of a month (a Monday) matches, as every other day does
    const every = compileCron('* * * * * *');
    expect(cronMatches(every, new Date('2026-12-07T17:05:42Z'))).toBe(true);
    expect(lastTickAtOrBefore(every, new Date('2026-12-07T17:05:42.400Z'))).toEqual(new Date('2026-12-07T17:05:42Z'));
    expect(cronMatches(compileCron('0 3 7 * *'), new Date('2026-12-07T03:00:00Z'))).toBe(true);
    expect(cronMatches(compileCron('0 3 * * 7'), new Date('2026-12-06T03:00:00Z'))).toBe(true); // Sunday
    expect(cronMatches(compileCron('0 3 * * 7'), new Date('2026-12-07T03:00:00Z'))).toBe(false);
  });

  it('gives every firing the same logical time and an id-safe stamp', () => {
    const s = compileCron('*/5 * * * *');
    expect(lastTickAtOrBefore(s, at('2025-01-01T10:07:59.900Z'))!.toISOString()).toBe('2025-01-01T10:05:00.000Z');
    expect(lastTickAtOrBefore(s, at('2025-01-01T10:05:00.300Z'))!.toISOString()).toBe('2025-01-01T10:05:00.000Z');
    expect(tickStamp(at('2025-01-01T10:05:00.000Z'))).toBe('20250101T100500Z');
  });

  it('rejects bad expressions and timezones', () => {
    expect(() => compileCron('61 * * * *')).toThrow(/not a valid cron/);
    expect(() => compileCron('* * * * *', 'Mars/Olympus')).toThrow(/timezone/);
  });
});

describe('tick templates and schedules', () => {
  it('renders the tick time in the schedule timezone', () => {
    const v = tickVars(at('2025-01-01T23:30:00Z'), 'Europe/Paris');
    expect(v).toMatchObject({ date: '2025-01-02', yesterday: '2025-01-01', tomorrow: '2025-01-03', time: '00-30', hour: '00' });
    expect(renderTemplate('data/{{ date }}/*.parquet', v)).toBe('data/2025-01-02/*.parquet');
    expect(() => renderTemplate('x/{{ nope }}', v)).toThrow(/unknown template variable/);
  });

  it('parses schedules, reporting every problem with its path', () => {
    const [s] = parseSchedules({ schedules: [{ name: 'daily', cron: '0 2 * * *', timezone: 'Europe/Paris', job: 'jobs/a.yaml', set: { 'output.path': 'results/{{ date }}' } }] }, '/base');
    expect(s).toMatchObject({ name: 'daily', skipIfRunning: true, catchUp: 0, jobFile: '/base/jobs/a.yaml' });
    expect(tickOverrides(s, at('2025-06-01T00:00:00Z'))).toEqual(['output.path=results/2025-06-01']);
    let msg = '';
    try {
      parseSchedules({ schedules: [{ name: 'a:b', cron: 'nope', job: 'x' }, { name: 'ok', cron: '* * * * *', job: 'y', extra: 1 }] }, '/base');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/schedules\.0\.name/);
    expect(msg).toMatch(/schedules\.1/);
  });
});
