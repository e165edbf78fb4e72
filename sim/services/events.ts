import { randomUUID } from 'node:crypto';
import { AwsError } from '../core/errors.js';
import type { JsonService, RequestContext } from '../core/service.js';

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
  'event-bus-name': string;
}

/** EventBridge PutEvents: validated like AWS, recorded for assertions. */
export class EventsService implements JsonService {
  readonly name = 'events';
  readonly protocol = 'json';
  readonly targetPrefix = 'AWSEvents';
  readonly jsonVersion = '1.1';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };
  events: BusEvent[] = [];

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
          return { ErrorCode: 'MalformedDetail', ErrorMessage: problem };
        }
        const event = this.toEvent(entry, ctx);
        this.events.push(event);
        return { EventId: event.id };
      });
      return { FailedEntryCount: failed, Entries: results };
    },
  };

  toEvent(entry: PutEventEntry, ctx: Pick<RequestContext, 'clock' | 'region' | 'accountId'>): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType!,
      source: entry.Source!,
      account: ctx.accountId,
      time: entry.Time
        ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time)
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z')
        : ctx.clock.iso().replace(/\.\d{3}Z$/, 'Z'),
      region: ctx.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail!),
      'event-bus-name': entry.EventBusName ?? 'default',
    };
  }

  reset(): void {
    this.events = [];
  }

  snapshot(): unknown {
    return { events: this.events };
  }
}

function entryProblem(entry: PutEventEntry): string | undefined {
  if (!entry.Source) return 'Parameter Source is not valid. Reason: Source is a required argument.';
  if (!entry.DetailType) return 'Parameter DetailType is not valid. Reason: DetailType is a required argument.';
  if (entry.Detail === undefined) return 'Parameter Detail is not valid. Reason: Detail is a required argument.';
  try {
    const detail = JSON.parse(entry.Detail);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return 'Detail is malformed.';
  } catch {
    return 'Detail is malformed.';
  }
  return undefined;
}
