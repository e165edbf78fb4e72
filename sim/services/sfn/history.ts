import type { SimClock } from '../../core/clock.js';

/** One entry of GetExecutionHistory, as AWS shapes it: `<camelType>EventDetails` holds the details. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Simulated epoch milliseconds. */
  timestamp: number;
  type: string;
  details?: Record<string, unknown>;
}

/** Detail fields that carry execution data, dropped when includeExecutionData is false. */
const DATA_FIELDS = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

/** Step Functions' hard quota of events in one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/**
 * The history of one execution, stamped with simulated time. At 24,999 events it waits for the next:
 * an ExecutionSucceeded is recorded as the 25,000th; anything else makes the 25,000th an
 * ExecutionFailed and `onLimit` fails the execution (AWS's "Avoid reaching the history quota").
 */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private closed = false;

  constructor(
    private readonly clock: SimClock,
    private readonly onLimit: (error: string, cause: string) => void = () => undefined,
  ) {}

  add(type: string, details?: Record<string, unknown>): void {
    if (this.closed) return;
    if (this.events.length === MAX_HISTORY_EVENTS - 1 && type !== 'ExecutionSucceeded') {
      // The error name is not documented (unclear); the cause is the message users report.
      const error = 'States.Runtime';
      const cause = `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`;
      this.push('ExecutionFailed', { error, cause });
      this.closed = true;
      this.onLimit(error, cause);
      return;
    }
    this.push(type, details);
    if (TERMINAL.has(type)) this.closed = true;
  }

  private push(type: string, details?: Record<string, unknown>): void {
    const id = this.events.length + 1;
    // AWS links an event to the one that caused it; the runner only knows the order, so the previous event stands in.
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp: this.clock.now(),
      type,
      ...(details ? { details } : {}),
    });
  }

  /** The wire shape of GetExecutionHistory's events. */
  static toWire(event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
    const wire: Record<string, unknown> = {
      timestamp: event.timestamp / 1000,
      type: event.type,
      id: event.id,
      previousEventId: event.previousEventId,
    };
    if (event.details) {
      const details = includeExecutionData
        ? event.details
        : Object.fromEntries(Object.entries(event.details).filter(([key]) => !DATA_FIELDS.has(key)));
      wire[detailsKey(event.type)] = details;
    }
    return wire;
  }
}

/** `TaskStateEntered` → `stateEnteredEventDetails`, `LambdaFunctionFailed` → `lambdaFunctionFailedEventDetails`. */
function detailsKey(type: string): string {
  const stateEvent = /^(?:Task|Pass|Choice|Wait|Map|Parallel|Succeed|Fail)State(Entered|Exited)$/.exec(type);
  if (stateEvent) return `state${stateEvent[1]}EventDetails`;
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** A JSON payload as history shows it: text plus whether it was truncated. */
export function payload(value: unknown, field: 'input' | 'output'): Record<string, unknown> {
  return { [field]: JSON.stringify(value ?? null), [`${field}Details`]: { truncated: false } };
}
