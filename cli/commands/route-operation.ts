import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import {
  NO_FOLLOW_FLAG,
  noPositionals,
  OVERRIDE_FLAG,
  REASON_FLAG,
  type RouteOperationInput,
  runRouteOperation,
  TO_FLAG,
} from '../operations.js';

/** `repair`, `failover`, `failback`, `sweep`: one route operation, started and followed. */
export function routeOperationCommand(
  operation: RouteOperationInput['operation'],
  summary: string,
): Command<RouteOperationInput> {
  return {
    words: [operation],
    summary,
    flags: {
      ...(operation === 'failover' ? { to: TO_FLAG } : {}),
      ...(operation === 'sweep' ? {} : { 'override-blast-radius': OVERRIDE_FLAG }),
      reason: REASON_FLAG,
      'no-follow': NO_FOLLOW_FLAG,
    },
    parse(args) {
      noPositionals(args, operation);
      const to = args.flags.to as string | undefined;
      if (to !== undefined && operation !== 'failover') throw new UsageError(`--to is for failover only`);
      return {
        operation,
        ...(to ? { to } : {}),
        dryRun: false,
        override: args.flags['override-blast-radius'] === true,
        ...(typeof args.flags.reason === 'string' ? { reason: args.flags.reason } : {}),
        follow: args.flags['no-follow'] !== true,
      };
    },
    run: runRouteOperation,
  };
}
