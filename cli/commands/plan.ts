import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { REASON_FLAG, type RouteOperationInput, runRouteOperation, TO_FLAG } from '../operations.js';

function planCommand(operation: 'repair' | 'failover' | 'failback'): Command<RouteOperationInput> {
  return {
    words: ['plan', operation],
    summary: `Dry run of ${operation}: the decision, each action with before and after, and the blast radius; nothing changes.`,
    flags: { ...(operation === 'failover' ? { to: TO_FLAG } : {}), reason: REASON_FLAG },
    parse(args) {
      if (args.positionals.length > 0)
        throw new UsageError(`plan ${operation} takes no argument, got '${args.positionals[0]}'`);
      const to = args.flags.to as string | undefined;
      return {
        operation,
        ...(to ? { to } : {}),
        dryRun: true,
        override: false,
        ...(typeof args.flags.reason === 'string' ? { reason: args.flags.reason } : {}),
        follow: true,
      };
    },
    run: runRouteOperation,
  };
}

export const planRepair = planCommand('repair');
export const planFailover = planCommand('failover');
export const planFailback = planCommand('failback');
