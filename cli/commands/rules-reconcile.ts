import type { Command } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { executionName, followExecution, startExecution } from '../executions.js';
import { NO_FOLLOW_FLAG, noPositionals, REASON_FLAG, requestedBy } from '../operations.js';
import { exitCodeOf } from '../report.js';

interface Input {
  dryRun: boolean;
  override: boolean;
  reason?: string;
  follow: boolean;
}

export const rulesReconcile: Command<Input> = {
  words: ['rules', 'reconcile'],
  summary: 'Run the resolver-rule reconciler now (walk the CNAME chains, converge the FORWARD rules), and follow it.',
  flags: {
    'dry-run': { type: 'boolean', description: 'plan only: print the rule changes, change nothing' },
    'override-blast-radius': {
      type: 'boolean',
      description: 'apply a plan larger than ResolverMaxChangesPerRun (review a --dry-run first)',
    },
    reason: REASON_FLAG,
    'no-follow': NO_FOLLOW_FLAG,
  },
  parse(args) {
    noPositionals(args, 'rules reconcile');
    return {
      dryRun: args.flags['dry-run'] === true,
      override: args.flags['override-blast-radius'] === true,
      ...(typeof args.flags.reason === 'string' ? { reason: args.flags.reason } : {}),
      follow: args.flags['no-follow'] !== true,
    };
  },
  async run(input, ctx) {
    const target = await ctx.target();
    const machine = target.outputs.ResolverReconcilerArn;
    if (!machine) {
      throw new CliError(
        `stack ${target.stackName} has no resolver reconciler (deploy it with OutboundResolverEndpointId set)`,
        EXIT.usage,
      );
    }
    const name = executionName([...(input.dryRun ? ['plan'] : []), 'rules-reconcile'], new Date());
    const arn = await startExecution(target.sfn, machine, name, {
      operation: 'reconcile',
      dryRun: input.dryRun,
      ...(input.override ? { overrideBlastRadius: true } : {}),
      requestedBy: requestedBy(),
      ...(input.reason ? { reason: input.reason } : {}),
    });
    ctx.progress(`started ${name}`);
    if (!input.follow) return { json: { executionArn: arn, name, status: 'RUNNING' }, text: arn, code: EXIT.done };
    const followed = await followExecution(target.sfn, arn, (line) => ctx.progress(line));
    const output = followed.output as
      | {
          result?: string;
          actionCount?: number;
          actions?: { kind: string; domainName?: string; outcome?: unknown }[];
          unresolvedNames?: string[];
          blocked?: { changes: number; limit: number } | null;
        }
      | undefined;
    const lines = [`${followed.name}: ${followed.status}`];
    if (output?.result) {
      lines.push(`result: ${output.result}; ${output.actionCount ?? 0} actions`);
      for (const a of output.actions ?? [])
        lines.push(
          `  ${a.kind} ${a.domainName ?? ''}  [${typeof a.outcome === 'string' ? a.outcome : ((a.outcome as { status?: string })?.status ?? '')}]`,
        );
      if (output.unresolvedNames?.length) lines.push(`unresolved: ${output.unresolvedNames.join(', ')}`);
      if (output.blocked)
        lines.push(`blocked: ${output.blocked.changes} changes over the limit of ${output.blocked.limit}`);
    }
    if (followed.status !== 'SUCCEEDED') lines.push(`error: ${followed.error ?? ''} ${followed.cause ?? ''}`.trimEnd());
    return { json: followed, text: lines.join('\n'), code: exitCodeOf(followed) };
  },
};
