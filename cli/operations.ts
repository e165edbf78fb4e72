import { hostname, userInfo } from 'node:os';
import { paginateListExecutions } from '@aws-sdk/client-sfn';
import type { CommandContext, CommandResult, FlagSpec, ParsedArgs } from './command.js';
import { CliError, EXIT, UsageError } from './errors.js';
import {
  describeExecution,
  executionName,
  type FollowedExecution,
  followExecution,
  startExecution,
} from './executions.js';
import { exitCodeOf, outcomeSummary, renderRouteReport, routeReport } from './report.js';
import type { Target } from './target.js';

export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** How long a plan counts as reviewed for --override-blast-radius. */
export const PLAN_VALID_MS = 3_600_000;

export const REASON_FLAG: FlagSpec = {
  type: 'string',
  value: 'TEXT',
  description: 'why, for the audit record (at most 1000 characters)',
  check: (v) => (v.length > 1000 ? `--reason is ${v.length} characters; at most 1000` : undefined),
};

export const NO_FOLLOW_FLAG: FlagSpec = {
  type: 'boolean',
  description: 'start the execution and print its ARN without following it',
};

export const OVERRIDE_FLAG: FlagSpec = {
  type: 'boolean',
  description: 'apply a plan larger than the change limit (only after a plan of the same operation)',
};

export const TO_FLAG: FlagSpec = {
  type: 'string',
  value: 'INSTANCE',
  description: 'the instance (i-...) to fail over to; default: the healthiest other member',
  check: (v) => (INSTANCE_ID.test(v) ? undefined : `--to ${v} is not an instance id (i- and 8 or 17 hex digits)`),
};

/** Who asked, for the execution input's requestedBy (at most 200 characters). */
export function requestedBy(): string {
  let user = process.env.USER ?? 'operator';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep $USER.
  }
  return `${user}@${hostname()} via cgw-autopilot`.slice(0, 200);
}

export function noPositionals(args: ParsedArgs, words: string): void {
  if (args.positionals.length > 0) {
    throw new UsageError(`${words} takes no argument, got '${args.positionals[0]}'`);
  }
}

/** An operation the route reconciler runs, as the CLI asks for it. */
export interface RouteOperationInput {
  operation: 'repair' | 'failover' | 'failback' | 'sweep';
  to?: string;
  dryRun: boolean;
  override: boolean;
  reason?: string;
  follow: boolean;
}

/** The words an execution's name starts with: `failover-to-i-...`, `plan-failover`. */
function nameWords(input: RouteOperationInput): string[] {
  return [...(input.dryRun ? ['plan'] : []), input.operation, ...(input.to ? ['to', input.to] : [])];
}

/** The newest successful plan of the same operation within PLAN_VALID_MS, or undefined. */
async function recentPlan(target: Target, input: RouteOperationInput, now: number): Promise<string | undefined> {
  const prefix = `${nameWords({ ...input, dryRun: true }).join('-')}-`;
  const pages = paginateListExecutions(
    { client: target.sfn, pageSize: 100 },
    { stateMachineArn: target.outputs.RouteReconcilerArn, statusFilter: 'SUCCEEDED' },
  );
  for await (const page of pages) {
    for (const e of page.executions ?? []) {
      const stopped = e.stopDate?.getTime() ?? 0;
      if (
        e.name?.startsWith(prefix) &&
        /^\d{8}T\d{9}Z$/.test(e.name.slice(prefix.length)) &&
        now - stopped <= PLAN_VALID_MS
      )
        return e.name;
      if (now - (e.startDate?.getTime() ?? 0) > PLAN_VALID_MS) return undefined;
    }
  }
  return undefined;
}

/** Starts a route operation (or its dry run), follows it, and says how it ended. */
export async function runRouteOperation(input: RouteOperationInput, ctx: CommandContext): Promise<CommandResult> {
  const target = await ctx.target();
  const now = await ctx.now();
  const words = nameWords(input);
  if (input.override) {
    const plan = await recentPlan(target, input, now);
    if (!plan) {
      const planCommand = `cgw-autopilot plan ${input.operation}${input.to ? ` --to ${input.to}` : ''}`;
      throw new CliError(
        `--override-blast-radius needs a plan of the same operation in the last hour: run ${planCommand} and review it first`,
        EXIT.usage,
      );
    }
    ctx.progress(`override after plan ${plan}`);
  }
  // Named by wall time: unique even on a local stack whose clock is stepped by hand.
  const name = executionName(words, new Date());
  const executionArn = await startExecution(target.sfn, target.outputs.RouteReconcilerArn!, name, {
    operation: input.operation,
    dryRun: input.dryRun,
    ...(input.to ? { targetInstanceId: input.to } : {}),
    ...(input.override ? { overrideBlastRadius: true } : {}),
    requestedBy: requestedBy(),
    ...(input.reason ? { reason: input.reason } : {}),
  });
  ctx.progress(`started ${name}`);
  if (!input.follow) {
    return {
      json: { executionArn, name, status: 'RUNNING' },
      text: `${executionArn}\nfollow it with: cgw-autopilot follow ${name}`,
      code: EXIT.done,
    };
  }
  const followed = await followExecution(target.sfn, executionArn, (line) => ctx.progress(line));
  return executionResult(followed, Number(target.parameters.MaxChangesPerRun) || undefined);
}

/** A followed (or described) execution as the command's result. */
export function executionResult(execution: FollowedExecution, limit?: number): CommandResult {
  const report = routeReport(execution.output);
  const lines = [`${execution.name}: ${execution.status}`];
  if (report) lines.push(...renderRouteReport(report, limit));
  else if (execution.status === 'SUCCEEDED') lines.push(`outcome: ${outcomeSummary(execution)}`);
  if (execution.status !== 'SUCCEEDED')
    lines.push(`error: ${execution.error ?? 'none'}${execution.cause ? `: ${execution.cause}` : ''}`);
  return { json: execution, text: lines.join('\n'), code: exitCodeOf(execution) };
}

/** Reads an execution by ARN or by name (looked up in the stack's reconcilers). */
export async function findExecutionArn(target: Target, nameOrArn: string): Promise<string> {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  for (const key of ['RouteReconcilerArn', 'ResolverReconcilerArn']) {
    const machine = target.outputs[key];
    if (!machine) continue;
    const arn = `${machine.replace(':stateMachine:', ':execution:')}:${nameOrArn}`;
    try {
      await describeExecution(target.sfn, arn);
      return arn;
    } catch (err) {
      if ((err as { name?: string }).name !== 'ExecutionDoesNotExist') throw err;
    }
  }
  throw new CliError(`no execution named ${nameOrArn} in stack ${target.stackName}`, EXIT.usage);
}
