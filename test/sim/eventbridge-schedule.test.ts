import { describe, expect, it } from 'vitest';
import {
  fireTimesBetween,
  InvalidScheduleExpressionError,
  nextFireTime,
  parseScheduleExpression,
} from '../../sim/eventbridge/schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseScheduleExpression', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(2 days)', 172_800_000],
  ])('reads %s as a period of %i ms', (expression, periodMs) => {
    // Act
    const schedule = parseScheduleExpression(expression);

    // Assess
    expect(schedule).toMatchObject({ kind: 'rate', periodMs });
  });

  it.each([
    ['rate(1 hours)', 'for a value of 1'],
    ['rate(5 hour)', 'above 1'],
    ['rate(0 minutes)', 'positive'],
    ['rate(5 weeks)', 'unit'],
    ['rate(1.5 hours)', 'unit'],
    ['cron(0 10 * * *)', '6 fields'],
    ['cron(0 10 * * * * *)', '6 fields'],
    ['cron(0 10 * * MON *)', "'?'"],
    ['cron(0 10 ? * ? *)', "'?'"],
    ['cron(60 10 * * ? *)', 'minutes value'],
    ['cron(0 24 * * ? *)', 'hours value'],
    ['cron(0 10 32 * ? *)', 'day-of-month value'],
    ['cron(0 10 * 13 ? *)', 'month value'],
    ['cron(0 10 * FOO ? *)', 'month value'],
    ['cron(0 10 ? * 8 *)', 'day-of-week value'],
    ['cron(0 10 ? * 1/2 *)', "'/' is not allowed"],
    ['cron(0 10 ? * 3#1,6#3 *)', 'alone'],
    ['cron(0 10 ? * 3#6 *)', 'alone'],
    ['cron(0 10 * * ? 1969)', 'year value'],
    ['cron(0/0 10 * * ? *)', 'increment'],
    ['at(2026-02-30T10:00:00)', 'not a real date'],
    ['at(2026-01-05 10:00:00)', 'at(yyyy-mm-ddThh:mm:ss)'],
    ['every 5 minutes', 'expected rate'],
  ])('rejects %s, saying %s', (expression, reason) => {
    // Act
    const attempt = () => parseScheduleExpression(expression);

    // Assess
    expect(attempt).toThrow(InvalidScheduleExpressionError);
    expect(attempt).toThrow(reason);
  });

  it('refuses a time zone other than UTC, since the simulation evaluates UTC only', () => {
    // Act
    const attempt = () => parseScheduleExpression('cron(0 10 * * ? *)', { timezone: 'Europe/Paris' });

    // Assess
    expect(attempt).toThrow('UTC only');
    expect(parseScheduleExpression('cron(0 10 * * ? *)', { timezone: 'UTC' }).kind).toBe('cron');
  });

  it('names its error class for the API error mapping', () => {
    // Act
    const error = (() => {
      try {
        parseScheduleExpression('rate(1 hours)');
      } catch (caught) {
        return caught as Error;
      }
    })();

    // Assess
    expect(error?.name).toBe('InvalidScheduleExpressionError');
  });
});

describe('nextFireTime', () => {
  // 2026-01-05 is a Monday.
  it.each([
    // The documented examples of the EventBridge user guide.
    ['cron(0 10 * * ? *)', '2026-01-05T10:00:00Z', '2026-01-06T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2026-01-05T09:59:59Z', '2026-01-05T10:00:00.000Z'],
    ['cron(15 12 * * ? *)', '2026-01-05T12:16:00Z', '2026-01-06T12:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2026-01-09T18:00:00Z', '2026-01-12T18:00:00.000Z'],
    ['cron(0 8 1 * ? *)', '2026-01-05T00:00:00Z', '2026-02-01T08:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2026-01-05T10:07:30Z', '2026-01-05T10:15:00.000Z'],
    ['cron(0/10 * ? * MON-FRI *)', '2026-01-09T23:55:00Z', '2026-01-12T00:00:00.000Z'],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-01-05T17:55:00Z', '2026-01-06T08:00:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-01-05T02:00:00Z', '2026-01-05T02:30:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-01-05T02:30:00Z', '2026-01-05T20:00:00.000Z'],
    ['cron(0 12 * * ? *)', '2026-01-05T12:00:00Z', '2026-01-06T12:00:00.000Z'],
    ['cron(5,35 14 * * ? *)', '2026-01-05T14:05:00Z', '2026-01-05T14:35:00.000Z'],
    ['cron(15 10 ? * 6L 2019-2022)', '2019-01-01T00:00:00Z', '2019-01-25T10:15:00.000Z'],
    ['cron(15 10 ? * 6L 2019-2022)', '2022-12-30T10:15:00Z', undefined],
    // Increments from a start value, ranges, lists and names.
    ['cron(1/10 * * * ? *)', '2026-01-05T10:01:00Z', '2026-01-05T10:11:00.000Z'],
    ['cron(0 0 * JAN,MAR ? *)', '2026-01-31T00:00:00Z', '2026-03-01T00:00:00.000Z'],
    ['cron(0 0 ? * SUN *)', '2026-01-05T00:00:00Z', '2026-01-11T00:00:00.000Z'],
    ['cron(0 0 ? * 1 *)', '2026-01-05T00:00:00Z', '2026-01-11T00:00:00.000Z'],
    // L, W and #.
    ['cron(0 0 L * ? *)', '2026-02-01T00:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2028-02-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['cron(0 0 ? * L *)', '2026-01-05T00:00:00Z', '2026-01-31T00:00:00.000Z'],
    ['cron(0 0 3W * ? *)', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['cron(0 0 1W * ? *)', '2026-01-31T00:00:00Z', '2026-02-02T00:00:00.000Z'],
    ['cron(0 0 1W * ? *)', '2026-07-02T00:00:00Z', '2026-08-03T00:00:00.000Z'],
    ['cron(0 0 LW * ? *)', '2026-01-01T00:00:00Z', '2026-01-30T00:00:00.000Z'],
    ['cron(0 0 ? * 3#2 *)', '2026-01-01T00:00:00Z', '2026-01-13T00:00:00.000Z'],
    ['cron(0 0 ? * 2#5 *)', '2026-01-01T00:00:00Z', '2026-03-30T00:00:00.000Z'],
    ['cron(0 0 31 * ? *)', '2026-02-01T00:00:00Z', '2026-03-31T00:00:00.000Z'],
    // One-time at().
    ['at(2026-01-05T09:30:00)', '2026-01-05T09:00:00Z', '2026-01-05T09:30:00.000Z'],
    ['at(2026-01-05T09:30:00)', '2026-01-05T09:30:00Z', undefined],
  ])('%s after %s is %s', (expression, after, expected) => {
    // Prepare
    const schedule = parseScheduleExpression(expression);

    // Act
    const next = nextFireTime(schedule, at(after));

    // Assess
    expect(iso(next)).toBe(expected);
  });

  it('counts rate() periods from the anchor, first firing one period after it', () => {
    // Prepare
    const createdAt = at('2026-01-05T09:00:20Z');
    const schedule = parseScheduleExpression('rate(5 minutes)', { anchorMs: createdAt });

    // Act
    const beforeCreation = nextFireTime(schedule, at('2026-01-01T00:00:00Z'));
    const atCreation = nextFireTime(schedule, createdAt);
    const onAFiring = nextFireTime(schedule, at('2026-01-05T09:05:20Z'));

    // Assess
    expect(iso(beforeCreation)).toBe('2026-01-05T09:05:20.000Z');
    expect(iso(atCreation)).toBe('2026-01-05T09:05:20.000Z');
    expect(iso(onAFiring)).toBe('2026-01-05T09:10:20.000Z');
  });

  it('aligns rate() on the Unix epoch when no anchor is given', () => {
    // Act
    const next = nextFireTime(parseScheduleExpression('rate(1 hour)'), at('2026-01-05T09:59:59Z'));

    // Assess
    expect(iso(next)).toBe('2026-01-05T10:00:00.000Z');
  });
});

describe('fireTimesBetween', () => {
  it('lists every firing in (from, to], so consecutive windows never fire one twice', () => {
    // Prepare
    const schedule = parseScheduleExpression('cron(0/15 * * * ? *)');
    const t0 = at('2026-01-05T10:00:00Z');
    const t1 = at('2026-01-05T10:30:00Z');
    const t2 = at('2026-01-05T11:00:00Z');

    // Act
    const first = fireTimesBetween(schedule, t0, t1).map(iso);
    const second = fireTimesBetween(schedule, t1, t2).map(iso);

    // Assess
    expect(first).toEqual(['2026-01-05T10:15:00.000Z', '2026-01-05T10:30:00.000Z']);
    expect(second).toEqual(['2026-01-05T10:45:00.000Z', '2026-01-05T11:00:00.000Z']);
  });

  it('fires a one-time schedule once and a rate schedule every period', () => {
    // Prepare
    const once = parseScheduleExpression('at(2026-01-05T10:10:00)');
    const rate = parseScheduleExpression('rate(2 days)', { anchorMs: at('2026-01-01T00:00:00Z') });

    // Act
    const onceTimes = fireTimesBetween(once, at('2026-01-05T00:00:00Z'), at('2026-01-06T00:00:00Z'));
    const rateTimes = fireTimesBetween(rate, at('2026-01-01T00:00:00Z'), at('2026-01-08T00:00:00Z')).map(iso);

    // Assess
    expect(onceTimes).toEqual([at('2026-01-05T10:10:00Z')]);
    expect(rateTimes).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-05T00:00:00.000Z', '2026-01-07T00:00:00.000Z']);
  });

  it('returns nothing for an empty window', () => {
    // Act
    const times = fireTimesBetween(parseScheduleExpression('rate(1 minute)'), 120_000, 120_000);

    // Assess
    expect(times).toEqual([]);
  });
});
