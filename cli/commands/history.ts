import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { describeExecution } from '../executions.js';
import { noPositionals } from '../operations.js';
import { appliedChanges, outcomeSummary } from '../report.js';

export const history: Command<{ limit: number }> = {
  words: ['history'],
  summary: 'Recent executions of both reconcilers, newest first: trigger, outcome, changes.',
  flags: {
    limit: {
      type: 'string',
      value: 'N',
      description: 'how many executions (1 to 100, default 10)',
      check: (v) =>
        /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100
          ? undefined
          : `--limit ${v} is not a whole number from 1 to 100`,
    },
  },
  parse(args) {
    noPositionals(args, 'history');
    const limit = args.flags.limit === undefined ? 10 : Number(args.flags.limit);
    if (!Number.isInteger(limit)) throw new UsageError(`--limit ${args.flags.limit} is not a whole number`);
    return { limit };
  },
  async run(input, ctx) {
    const target = await ctx.target();
    const machines = [target.outputs.RouteReconcilerArn, target.outputs.ResolverReconcilerArn].filter(
      (arn): arn is string => Boolean(arn),
    );
    const listed = (
      await Promise.all(
        machines.map(async (stateMachineArn) => {
          const page = await target.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: input.limit }));
          return (page.executions ?? []).map((e) => ({ ...e, machine: stateMachineArn.split(':').pop()! }));
        }),
      )
    )
      .flat()
      .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
      .slice(0, input.limit);
    const rows = await Promise.all(
      listed.map(async (e) => {
        const d = await describeExecution(target.sfn, e.executionArn!);
        const output = d.output as { trigger?: { summary?: string } } | undefined;
        return {
          name: d.name,
          stateMachine: e.machine,
          executionArn: d.executionArn,
          status: d.status,
          startDate: d.startDate,
          stopDate: d.stopDate,
          trigger: output?.trigger?.summary ?? triggerOf(d.input),
          outcome: outcomeSummary(d),
          changes: appliedChanges(d.output),
          output: d.output ?? null,
        };
      }),
    );
    const text = rows.length
      ? rows
          .map(
            (r) =>
              `${r.startDate ?? ''}  ${r.name}\n    trigger: ${r.trigger}\n    outcome: ${r.outcome}; ${r.changes} ${r.changes === 1 ? 'change' : 'changes'}`,
          )
          .join('\n')
      : 'no executions yet';
    return { json: { executions: rows }, text, code: EXIT.done };
  },
};

function triggerOf(input: unknown): string {
  const i = input as { operation?: string; source?: string; 'detail-type'?: string } | undefined;
  if (i?.operation) return i.operation;
  if (i?.source) return `${i.source} / ${i['detail-type'] ?? ''}`;
  return 'unknown';
}
