/**
 * EventBridge rule and EventBridge Scheduler schedule expressions: rate(), cron() and Scheduler's
 * one-time at(), evaluated in UTC with one-minute precision (AWS fires somewhere within the minute;
 * this returns the minute's first millisecond).
 */

export class InvalidScheduleExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`Invalid schedule expression '${expression}': ${reason}`);
    this.name = 'InvalidScheduleExpressionError';
  }
}

type DayOfMonthRule =
  | { kind: 'any' }
  | { kind: 'days'; days: Set<number> }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

type DayOfWeekRule =
  | { kind: 'any' }
  | { kind: 'weekdays'; weekdays: Set<number> }
  | { kind: 'last'; weekday: number }
  | { kind: 'nth'; weekday: number; nth: number };

export type RateSchedule = { kind: 'rate'; expression: string; periodMs: number; anchorMs: number };
export type CronSchedule = {
  kind: 'cron';
  expression: string;
  minutes: Set<number>;
  hours: Set<number>;
  dayOfMonth: DayOfMonthRule;
  months: Set<number>;
  dayOfWeek: DayOfWeekRule;
  years: Set<number>;
};
export type AtSchedule = { kind: 'at'; expression: string; atMs: number };
export type Schedule = RateSchedule | CronSchedule | AtSchedule;

export type ScheduleOptions = {
  /** ScheduleExpressionTimezone. The simulation evaluates UTC only and refuses any other zone. */
  timezone?: string;
  /**
   * Where a rate() schedule counts from: the rule's creation time or the schedule's StartDate. AWS
   * starts a rate schedule when the rule is created; when and how soon the first firing happens is
   * not pinned down by the docs (Scheduler says it starts invoking "immediately"). Chosen here: fires
   * at anchor + k x period for k >= 1. Defaults to 0, i.e. aligned on the Unix epoch.
   */
  anchorMs?: number;
};

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE_MS, hour: 3_600_000, day: DAY_MS };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type FieldSpec = { name: string; min: number; max: number; names?: string[]; step: boolean };
const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59, step: true },
  hours: { name: 'hours', min: 0, max: 23, step: true },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31, step: true },
  month: { name: 'month', min: 1, max: 12, names: MONTHS, step: true },
  // The docs list no '/' for day-of-week.
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, step: false },
  year: { name: 'year', min: 1970, max: 2199, step: true },
} satisfies Record<string, FieldSpec>;

function parseRate(expression: string, body: string, anchorMs: number): RateSchedule {
  const match = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) {
    throw new InvalidScheduleExpressionError(
      expression,
      'expected rate(value unit) with unit minute(s), hour(s) or day(s)',
    );
  }
  const value = Number(match[1]);
  const unit = match[2] as string;
  if (value < 1) throw new InvalidScheduleExpressionError(expression, 'the rate value must be a positive integer');
  const plural = unit.endsWith('s');
  if (value === 1 && plural)
    throw new InvalidScheduleExpressionError(expression, `use '${unit.slice(0, -1)}' for a value of 1`);
  if (value > 1 && !plural) throw new InvalidScheduleExpressionError(expression, `use '${unit}s' for a value above 1`);
  const unitMs = UNIT_MS[plural ? unit.slice(0, -1) : unit] as number;
  return { kind: 'rate', expression, periodMs: value * unitMs, anchorMs };
}

function parseAt(expression: string, body: string): AtSchedule {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) throw new InvalidScheduleExpressionError(expression, 'expected at(yyyy-mm-ddThh:mm:ss)');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const atMs = Date.UTC(year!, month! - 1, day, hour, minute, second);
  const back = new Date(atMs);
  const roundTrips =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month! - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === hour &&
    back.getUTCMinutes() === minute &&
    back.getUTCSeconds() === second;
  if (!roundTrips) throw new InvalidScheduleExpressionError(expression, `'${body}' is not a real date and time`);
  return { kind: 'at', expression, atMs };
}

/** Parses a number or (for month and day-of-week) a three-letter name. */
function parseValue(expression: string, spec: FieldSpec, text: string): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= spec.min && value <= spec.max)) {
    throw new InvalidScheduleExpressionError(
      expression,
      `${spec.name} value '${text}' is outside ${spec.min}-${spec.max}`,
    );
  }
  return value;
}

/** Parses `*`, `a`, `a-b` (wrapping past max, as in the documented hours 20-2), `x/step`, and lists. */
function parseField(expression: string, spec: FieldSpec, text: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [rangeText = '', stepText, extra] = item.split('/');
    if (extra !== undefined || rangeText === '') {
      throw new InvalidScheduleExpressionError(expression, `bad ${spec.name} item '${item}'`);
    }
    if (stepText !== undefined && !spec.step) {
      throw new InvalidScheduleExpressionError(expression, `'/' is not allowed in ${spec.name}`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? '1')) {
      throw new InvalidScheduleExpressionError(expression, `bad ${spec.name} increment '${stepText}'`);
    }
    const [fromText = '', toText, beyond] = rangeText.split('-');
    if (beyond !== undefined)
      throw new InvalidScheduleExpressionError(expression, `bad ${spec.name} range '${rangeText}'`);
    const from = fromText === '*' ? spec.min : parseValue(expression, spec, fromText);
    // A single value with an increment (1/10) runs to the end of the field.
    const to =
      fromText === '*'
        ? spec.max
        : toText !== undefined
          ? parseValue(expression, spec, toText)
          : stepText
            ? spec.max
            : from;
    if (fromText === '*' && toText !== undefined) {
      throw new InvalidScheduleExpressionError(expression, `bad ${spec.name} range '${rangeText}'`);
    }
    const width = spec.max - spec.min + 1;
    const span = (to - from + width) % width;
    for (let offset = 0; offset <= span; offset += step) values.add(((from - spec.min + offset) % width) + spec.min);
  }
  return values;
}

function parseDayOfMonth(expression: string, text: string): DayOfMonthRule {
  if (text === '?') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') return { kind: 'lastWeekday' };
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) return { kind: 'nearestWeekday', day: parseValue(expression, FIELDS.dayOfMonth, weekday[1] as string) };
  return { kind: 'days', days: parseField(expression, FIELDS.dayOfMonth, text) };
}

function parseDayOfWeek(expression: string, text: string): DayOfWeekRule {
  if (text === '?') return { kind: 'any' };
  if (text === 'L') return { kind: 'last', weekday: 7 };
  const last = /^(\w+)L$/.exec(text);
  if (last) return { kind: 'last', weekday: parseValue(expression, FIELDS.dayOfWeek, last[1] as string) };
  if (text.includes('#')) {
    // The docs: with '#' the field may hold only that one expression.
    const nth = /^(\w+)#([1-5])$/.exec(text);
    if (!nth)
      throw new InvalidScheduleExpressionError(expression, `bad day-of-week '${text}', expected weekday#1-5 alone`);
    return { kind: 'nth', weekday: parseValue(expression, FIELDS.dayOfWeek, nth[1] as string), nth: Number(nth[2]) };
  }
  return { kind: 'weekdays', weekdays: parseField(expression, FIELDS.dayOfWeek, text) };
}

function parseCron(expression: string, body: string): CronSchedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new InvalidScheduleExpressionError(
      expression,
      `cron needs 6 fields (min hour day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new InvalidScheduleExpressionError(expression, "exactly one of day-of-month and day-of-week must be '?'");
  }
  return {
    kind: 'cron',
    expression,
    minutes: parseField(expression, FIELDS.minutes, minutes),
    hours: parseField(expression, FIELDS.hours, hours),
    dayOfMonth: parseDayOfMonth(expression, dayOfMonth),
    months: parseField(expression, FIELDS.month, month),
    dayOfWeek: parseDayOfWeek(expression, dayOfWeek),
    years: parseField(expression, FIELDS.year, year),
  };
}

/** Parses rate(), cron() or at(); throws InvalidScheduleExpressionError naming the problem. */
export function parseScheduleExpression(text: string, options: ScheduleOptions = {}): Schedule {
  const timezone = options.timezone;
  if (timezone !== undefined && timezone !== 'UTC' && timezone !== 'Etc/UTC') {
    throw new InvalidScheduleExpressionError(
      text,
      `time zone '${timezone}' is not supported by the simulation (UTC only)`,
    );
  }
  const match = /^(rate|cron|at)\((.*)\)$/s.exec(text.trim());
  if (!match) throw new InvalidScheduleExpressionError(text, 'expected rate(...), cron(...) or at(...)');
  const body = match[2] as string;
  if (match[1] === 'rate') return parseRate(text, body, options.anchorMs ?? 0);
  if (match[1] === 'cron') return parseCron(text, body);
  return parseAt(text, body);
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (year: number, month: number, day: number): number =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function isWeekday(year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  return weekday !== 1 && weekday !== 7;
}

/** Quartz's nW: the weekday nearest day n, never crossing into another month. */
function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysInMonth(year, month);
  if (day > last) return undefined;
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1;
  if (weekday === 1) return day === last ? day - 2 : day + 1;
  return day;
}

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  const dom = schedule.dayOfMonth;
  switch (dom.kind) {
    case 'days':
      return dom.days.has(day);
    case 'last':
      return day === last;
    case 'lastWeekday': {
      let candidate = last;
      while (!isWeekday(year, month, candidate)) candidate--;
      return day === candidate;
    }
    case 'nearestWeekday':
      return nearestWeekday(year, month, dom.day) === day;
    case 'any':
      break;
  }
  const dow = schedule.dayOfWeek;
  const weekday = weekdayOf(year, month, day);
  switch (dow.kind) {
    case 'weekdays':
      return dow.weekdays.has(weekday);
    case 'last':
      return weekday === dow.weekday && day + 7 > last;
    case 'nth':
      return weekday === dow.weekday && Math.ceil(day / 7) === dow.nth;
    case 'any':
      return true;
  }
}

function nextCronTime(schedule: CronSchedule, afterMs: number): number | undefined {
  let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (;;) {
    const date = new Date(t);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (year > FIELDS.year.max) return undefined;
    if (!schedule.years.has(year)) {
      t = Date.UTC(year + 1, 0, 1);
    } else if (!schedule.months.has(month)) {
      t = Date.UTC(year, month, 1);
    } else if (!dayMatches(schedule, year, month, day)) {
      t = Date.UTC(year, month - 1, day + 1);
    } else {
      const dayStart = Date.UTC(year, month - 1, day);
      const fromMinute = (t - dayStart) / MINUTE_MS;
      for (let minuteOfDay = fromMinute; minuteOfDay < 1440; minuteOfDay++) {
        const hour = Math.floor(minuteOfDay / 60);
        if (!schedule.hours.has(hour)) {
          minuteOfDay = hour * 60 + 59;
        } else if (schedule.minutes.has(minuteOfDay % 60)) {
          return dayStart + minuteOfDay * MINUTE_MS;
        }
      }
      t = dayStart + DAY_MS;
    }
  }
}

/** The first firing strictly after afterMs (UTC epoch ms), or undefined when the schedule never fires again. */
export function nextFireTime(schedule: Schedule, afterMs: number): number | undefined {
  switch (schedule.kind) {
    case 'at':
      return schedule.atMs > afterMs ? schedule.atMs : undefined;
    case 'rate': {
      const periods = Math.max(1, Math.floor((afterMs - schedule.anchorMs) / schedule.periodMs) + 1);
      return schedule.anchorMs + periods * schedule.periodMs;
    }
    case 'cron':
      return nextCronTime(schedule, afterMs);
  }
}

/**
 * Every firing in (fromMs, toMs]: half-open so that advancing simulated time in consecutive steps
 * (t0 to t1, then t1 to t2) fires each occurrence exactly once.
 */
export function fireTimesBetween(schedule: Schedule, fromMs: number, toMs: number): number[] {
  const times: number[] = [];
  for (
    let next = nextFireTime(schedule, fromMs);
    next !== undefined && next <= toMs;
    next = nextFireTime(schedule, next)
  ) {
    times.push(next);
  }
  return times;
}
