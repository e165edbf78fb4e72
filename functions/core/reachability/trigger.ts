import { z } from 'zod';
import { InvalidInputError } from '../errors.js';

export interface ProbeTrigger {
  kind: 'schedule' | 'route-change' | 'resolver-change' | 'manual';
  summary: string;
  eventId?: string;
}

const manualInput = z.strictObject({ requestedBy: z.string().max(200).optional() });
const resultEvent = z.object({
  id: z.string(),
  source: z.literal('cgw-autopilot'),
  'detail-type': z.enum(['Route Reconciliation Result', 'Resolver Reconciliation Result']),
  detail: z.object({ result: z.string().optional(), applied: z.number().optional() }).passthrough(),
});

/** Why the probe runs: its schedule, a reconciler's change (failover, resolver rules), or an operator. */
export function parseProbeTrigger(input: unknown): ProbeTrigger {
  const event = resultEvent.safeParse(input);
  if (event.success) {
    const { detail } = event.data;
    const route = event.data['detail-type'] === 'Route Reconciliation Result';
    return {
      kind: route ? 'route-change' : 'resolver-change',
      eventId: event.data.id,
      summary: `after the ${route ? 'route' : 'resolver'} reconciler ${detail.result ?? 'ran'} (${detail.applied ?? 0} changes)`,
    };
  }
  const manual = manualInput.safeParse(input ?? {});
  if (!manual.success)
    throw new InvalidInputError(
      '(input)',
      'must be {"requestedBy": "..."} or a cgw-autopilot reconciliation result event',
    );
  const by = manual.data.requestedBy ?? 'an operator';
  return by === 'schedule'
    ? { kind: 'schedule', summary: 'schedule' }
    : { kind: 'manual', summary: `on demand by ${by}` };
}
