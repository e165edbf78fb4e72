import { randomUUID } from 'node:crypto';
import type { SimClock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import type { AttachedServer, JsonService, RequestContext } from '../core/service.js';
import { SIM_ACCOUNT_ID, SIM_DEFAULT_REGION } from '../core/service.js';
import { InvalidEventPatternError, matchesEventPattern, validateEventPattern } from '../eventbridge/pattern.js';
import { nextFireTime, parseScheduleExpression } from '../eventbridge/schedule.js';
import { shapeTargetInput } from '../eventbridge/targets.js';

export interface PutEventEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: string | number;
}

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  'event-bus-name'?: string;
}

export interface RuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

export interface EventRule {
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  createdAt: number;
  targets: RuleTarget[];
  cancelTimer?: () => void;
}

/** What happened to one event at one target. */
export interface Delivery {
  eventId: string;
  ruleName: string;
  targetId: string;
  targetArn: string;
  at: string;
  ok: boolean;
  /** What the target returned (an execution ARN, a message id), or why delivery failed. */
  detail: string;
}

/** Hands a shaped input to a target by ARN (state machine, Lambda function, SNS topic); returns a receipt. */
export type TargetDeliverer = (arn: string, input: string) => Promise<string>;

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

/**
 * EventBridge: rules with event patterns or schedules, targets with Input / InputPath /
 * InputTransformer, PutEvents delivering each event to every matching rule's targets.
 */
export class EventsService implements JsonService {
  readonly name = 'events';
  readonly protocol = 'json';
  readonly targetPrefix = 'AWSEvents';
  readonly jsonVersion = '1.1';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };
  events: BusEvent[] = [];
  /** Events that matched no rule: reported by the drill, never silently dropped. */
  unmatched: BusEvent[] = [];
  deliveries: Delivery[] = [];
  rules = new Map<string, EventRule>();
  private clock?: SimClock;
  private pending = new Set<Promise<unknown>>();

  constructor(private deliverer: TargetDeliverer = async (arn) => `recorded for ${arn}`) {}

  setDeliverer(deliverer: TargetDeliverer): void {
    this.deliverer = deliverer;
  }

  attach(server: AttachedServer): void {
    this.clock = server.clock;
  }

  readonly actions = {
    PutEvents: (params: { Entries?: PutEventEntry[] }, ctx: RequestContext) => {
      const entries = params.Entries;
      if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
        throw new AwsError(
          'ValidationException',
          "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10",
        );
      }
      let failed = 0;
      const results = entries.map((entry) => {
        const problem = entryProblem(entry);
        if (problem) {
          failed++;
          return { ErrorCode: problem.code, ErrorMessage: problem.message };
        }
        const event = this.publish(this.toEvent(entry, ctx));
        return { EventId: event.id };
      });
      return { FailedEntryCount: failed, Entries: results };
    },

    ListEventBuses: (_params: unknown, ctx: RequestContext) => ({
      // Only the default bus exists in the simulated account (known difference).
      EventBuses: [{ Name: 'default', Arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/default` }],
    }),
    PutRule: (
      params: {
        Name?: string;
        EventPattern?: string;
        ScheduleExpression?: string;
        State?: string;
        Description?: string;
        EventBusName?: string;
      },
      ctx: RequestContext,
    ) => {
      if (!params.Name || !RULE_NAME.test(params.Name)) {
        throw new AwsError('ValidationException', `Rule name ${params.Name ?? '(missing)'} is not valid.`);
      }
      if (!params.EventPattern && !params.ScheduleExpression) {
        throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
      }
      if (params.EventPattern) {
        try {
          validateEventPattern(params.EventPattern);
        } catch (err) {
          if (err instanceof InvalidEventPatternError) throw new AwsError('InvalidEventPatternException', err.message);
          throw err;
        }
      }
      if (params.ScheduleExpression) {
        try {
          parseScheduleExpression(params.ScheduleExpression);
        } catch (err) {
          throw new AwsError(
            'ValidationException',
            `Parameter ScheduleExpression is not valid: ${(err as Error).message}`,
          );
        }
      }
      const state = params.State ?? 'ENABLED';
      if (state !== 'ENABLED' && state !== 'DISABLED')
        throw new AwsError('ValidationException', `State ${state} is not valid.`);
      const bus = params.EventBusName ?? 'default';
      const existing = this.rules.get(params.Name);
      existing?.cancelTimer?.();
      const rule: EventRule = {
        name: params.Name,
        arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${params.Name}`,
        eventBusName: bus,
        ...(params.EventPattern ? { eventPattern: params.EventPattern } : {}),
        ...(params.ScheduleExpression ? { scheduleExpression: params.ScheduleExpression } : {}),
        state,
        ...(params.Description ? { description: params.Description } : {}),
        createdAt: existing?.createdAt ?? ctx.clock.now(),
        targets: existing?.targets ?? [],
      };
      this.rules.set(rule.name, rule);
      this.armSchedule(rule);
      return { RuleArn: rule.arn };
    },

    DescribeRule: (params: { Name?: string }) => {
      const rule = this.rule(params.Name);
      return {
        Name: rule.name,
        Arn: rule.arn,
        EventPattern: rule.eventPattern,
        ScheduleExpression: rule.scheduleExpression,
        State: rule.state,
        Description: rule.description,
        EventBusName: rule.eventBusName,
      };
    },

    ListRules: (params: { NamePrefix?: string }) => ({
      Rules: [...this.rules.values()]
        .filter((r) => !params.NamePrefix || r.name.startsWith(params.NamePrefix))
        .map((r) => ({
          Name: r.name,
          Arn: r.arn,
          State: r.state,
          EventPattern: r.eventPattern,
          ScheduleExpression: r.scheduleExpression,
        })),
    }),

    DeleteRule: (params: { Name?: string }) => {
      const rule = this.rule(params.Name);
      if (rule.targets.length > 0)
        throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
      rule.cancelTimer?.();
      this.rules.delete(rule.name);
      return {};
    },

    PutTargets: (params: { Rule?: string; Targets?: RuleTarget[] }) => {
      const rule = this.rule(params.Rule);
      if (!Array.isArray(params.Targets) || params.Targets.length < 1 || params.Targets.length > 10) {
        throw new AwsError('ValidationException', 'Targets must have length between 1 and 10');
      }
      const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
      for (const target of params.Targets) {
        const shapes = [target.Input, target.InputPath, target.InputTransformer].filter((x) => x !== undefined).length;
        if (!target.Id || !target.Arn || shapes > 1) {
          failed.push({
            TargetId: target.Id ?? '',
            ErrorCode: 'ValidationException',
            ErrorMessage:
              shapes > 1
                ? 'Only one of Input, InputPath, or InputTransformer can be provided.'
                : 'Id and Arn are required.',
          });
          continue;
        }
        rule.targets = [...rule.targets.filter((t) => t.Id !== target.Id), target];
        if (rule.targets.length > 5) {
          rule.targets = rule.targets.filter((t) => t.Id !== target.Id);
          throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
        }
      }
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    },

    ListTargetsByRule: (params: { Rule?: string }) => ({ Targets: this.rule(params.Rule).targets }),

    RemoveTargets: (params: { Rule?: string; Ids?: string[] }) => {
      const rule = this.rule(params.Rule);
      rule.targets = rule.targets.filter((t) => !(params.Ids ?? []).includes(t.Id));
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    TestEventPattern: (params: { EventPattern?: string; Event?: string }) => {
      try {
        validateEventPattern(params.EventPattern);
      } catch (err) {
        throw new AwsError('InvalidEventPatternException', (err as Error).message);
      }
      let event: unknown;
      try {
        event = JSON.parse(params.Event ?? '');
      } catch {
        throw new AwsError('ValidationException', 'Parameter Event is not valid.');
      }
      return { Result: matchesEventPattern(params.EventPattern, event) };
    },
  };

  /** Puts an already-formed event on its bus: records it and delivers it to every matching rule's targets. */
  publish(event: BusEvent): BusEvent {
    this.events.push(event);
    const bus = event['event-bus-name'] ?? 'default';
    const matching = [...this.rules.values()].filter(
      (r) =>
        r.state === 'ENABLED' && r.eventBusName === bus && r.eventPattern && matchesEventPattern(r.eventPattern, event),
    );
    if (matching.length === 0) this.unmatched.push(event);
    for (const rule of matching) this.deliver(rule, event);
    return event;
  }

  /** Resolves once every delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Rules whose pattern matches an event, without delivering it. */
  matchingRules(event: unknown): EventRule[] {
    return [...this.rules.values()].filter((r) => r.eventPattern && matchesEventPattern(r.eventPattern, event));
  }

  toEvent(entry: PutEventEntry, ctx: Pick<RequestContext, 'clock' | 'region' | 'accountId'>): BusEvent {
    const time = entry.Time
      ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time)
      : ctx.clock.date();
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType!,
      source: entry.Source!,
      account: ctx.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: ctx.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail!),
      ...(entry.EventBusName && entry.EventBusName !== 'default' ? { 'event-bus-name': entry.EventBusName } : {}),
    };
  }

  reset(): void {
    for (const rule of this.rules.values()) rule.cancelTimer?.();
    this.events = [];
    this.unmatched = [];
    this.deliveries = [];
    this.rules.clear();
  }

  snapshot(): unknown {
    return {
      rules: [...this.rules.values()].map(({ cancelTimer: _c, ...rule }) => rule),
      events: this.events,
      unmatched: this.unmatched,
      deliveries: this.deliveries,
    };
  }

  private rule(name: string | undefined): EventRule {
    const rule = name ? this.rules.get(name) : undefined;
    if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name ?? '(missing)'} does not exist.`);
    return rule;
  }

  private deliver(rule: EventRule, event: BusEvent): void {
    for (const target of rule.targets) {
      const at = (this.clock?.date() ?? new Date()).toISOString();
      const record = (ok: boolean, detail: string) =>
        this.deliveries.push({
          eventId: event.id,
          ruleName: rule.name,
          targetId: target.Id,
          targetArn: target.Arn,
          at,
          ok,
          detail,
        });
      const work = (async () => {
        try {
          const payload = shapeTargetInput(event, target, { ruleName: rule.name, ruleArn: rule.arn });
          record(true, await this.deliverer(target.Arn, payload));
        } catch (err) {
          record(false, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        }
      })();
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    }
  }

  /** Schedule rules fire on simulated time: each firing arms the next. */
  private armSchedule(rule: EventRule): void {
    if (!rule.scheduleExpression || !this.clock || rule.state !== 'ENABLED') return;
    const clock = this.clock;
    // rate() schedules count their periods from the rule's creation.
    const schedule = parseScheduleExpression(rule.scheduleExpression, { anchorMs: rule.createdAt });
    const next = nextFireTime(schedule, Math.max(clock.now(), rule.createdAt));
    if (next === undefined) return;
    rule.cancelTimer = clock.schedule(next, () => {
      this.deliver(rule, {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: SIM_ACCOUNT_ID,
        time: clock
          .date()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: SIM_DEFAULT_REGION,
        resources: [rule.arn],
        detail: {},
      });
      this.armSchedule(rule);
    });
  }
}

function entryProblem(entry: PutEventEntry): { code: string; message: string } | undefined {
  if (!entry.Source)
    return {
      code: 'InvalidArgument',
      message: 'Parameter Source is not valid. Reason: Source is a required argument.',
    };
  // Events of AWS services come from the services themselves; PutEvents may not claim their sources.
  if (entry.Source.startsWith('aws.')) {
    return { code: 'NotAuthorizedForSourceException', message: `Not authorized for the source ${entry.Source}.` };
  }
  if (!entry.DetailType) {
    return {
      code: 'InvalidArgument',
      message: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    };
  }
  if (entry.Detail === undefined) {
    return {
      code: 'InvalidArgument',
      message: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
    };
  }
  try {
    const detail = JSON.parse(entry.Detail);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { code: 'MalformedDetail', message: 'Detail is malformed.' };
    }
  } catch {
    return { code: 'MalformedDetail', message: 'Detail is malformed.' };
  }
  return undefined;
}
