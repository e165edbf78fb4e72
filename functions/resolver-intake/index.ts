import { resolverContext } from '../adapters/resolver-context.js';
import { instrumented } from '../commons/powertools.js';
import type { ResolverIntakeOutput } from '../commons/resolver-state.js';
import type { TriggerSummary } from '../commons/route-state.js';
import { InvalidInputError } from '../core/routes/errors.js';
import { describeOperation, describeTrigger, parseTrigger, type Trigger } from '../core/triggers.js';

// Validated at cold start: a bad parameter fails the first run with a ConfigurationError naming it.
resolverContext();

const RESOLVER_OPERATIONS = new Set(['reconcile', 'sweep']);

function ignoredReport(trigger: Extract<Trigger, { kind: 'agent-report' }>, group: string): string | null {
  if (trigger.report.group !== group) return `report for group ${trigger.report.group}, not ${group}`;
  if (!trigger.report.tunnels.some((t) => t.status === 'up')) return 'no tunnel is up: the vendor DNS is out of reach';
  return null;
}

/**
 * First state of the resolver-rule reconciler: validates the input (a bad one fails the execution with
 * the field named, before any change) and tells why the run happens. Level-triggered: a replayed event
 * only causes one more observation, never a second change.
 */
const handle = async (event: { input: unknown }): Promise<ResolverIntakeOutput> => {
  const { config } = resolverContext();
  const trigger = parseTrigger(event.input);
  if (trigger.kind === 'manual') {
    const op = trigger.operation;
    if (!RESOLVER_OPERATIONS.has(op.operation)) {
      throw new InvalidInputError(
        'operation',
        `'${op.operation}' is an operation of the route reconciler; resolver rules take reconcile or sweep`,
      );
    }
    if (op.targetInstanceId) throw new InvalidInputError('targetInstanceId', 'resolver rules have no target instance');
    return {
      request: { dryRun: op.dryRun, overrideBlastRadius: op.overrideBlastRadius },
      trigger: {
        kind: op.operation === 'sweep' ? 'schedule' : 'manual',
        summary: describeOperation(op),
      },
      ignored: null,
    };
  }
  const request = { dryRun: false, overrideBlastRadius: false };
  const summary: TriggerSummary = { kind: trigger.kind, eventId: trigger.eventId, summary: describeTrigger(trigger) };
  switch (trigger.kind) {
    case 'agent-report':
      return { request, trigger: summary, ignored: ignoredReport(trigger, config.groupName) };
    case 'schedule':
      return { request, trigger: summary, ignored: null };
    default:
      return { request, trigger: summary, ignored: `${trigger.kind} events do not concern resolver rules` };
  }
};

export const handler = instrumented({ group: () => resolverContext().config.groupName }, handle);
