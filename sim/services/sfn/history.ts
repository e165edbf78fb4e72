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

/** The history of one execution, stamped with simulated time. */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];

  constructor(private readonly clock: SimClock) {}

  add(type: string, details?: Record<string, unknown>): void {
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
