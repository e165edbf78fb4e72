import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type HistoryEvent,
  paginateGetExecutionHistory,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describeAwsError } from './aws-errors.js';
import { CliError, EXIT } from './errors.js';

/**
 * A readable execution name that says what was asked and when, unique to the millisecond:
 * `failover-to-i-0abc...-20260105T090012345Z`. Step Functions allows 80 characters of [A-Za-z0-9-_].
 */
export function executionName(words: string[], at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  const head = words
    .join('-')
    .replace(/[^A-Za-z0-9-_]/g, '-')
    .slice(0, 80 - stamp.length - 1);
  return `${head}-${stamp}`;
}

export async function startExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: Record<string, unknown>,
): Promise<string> {
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return executionArn!;
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists)
      throw new CliError(`an execution named ${name} already exists`, EXIT.usage);
    throw new CliError(`cannot start ${name}: ${describeAwsError(err).message}`, EXIT.failed);
  }
}

/** An execution as it ended (or as it is, when still running). */
export interface ExecutionOutcome {
  executionArn: string;
  name: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<ExecutionOutcome> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return {
    executionArn,
    name: d.name ?? executionArn.split(':').pop()!,
    status: d.status ?? 'UNKNOWN',
    ...(d.startDate ? { startDate: d.startDate.toISOString() } : {}),
    ...(d.stopDate ? { stopDate: d.stopDate.toISOString() } : {}),
    input: parseJson(d.input),
    ...(d.output !== undefined ? { output: parseJson(d.output) } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.cause ? { cause: d.cause } : {}),
  };
}

/**
 * The line an Apply task adds when it ends: the route reconciler's Apply and ApplyAgain leave every
 * action's outcome (and those still pending) under `apply`, the resolver's Apply its counts under
 * `applied.summary`. Other tasks add nothing.
 */
function applyProgress(state: string, output: unknown): string[] {
  if (!state.startsWith('Apply') || typeof output !== 'object' || output === null) return [];
  const { apply, applied } = output as {
    apply?: { outcomes?: { status?: string }[]; pending?: unknown[]; retryInSeconds?: number };
    applied?: { summary?: { applied?: number; failed?: number; skipped?: number } };
  };
  if (Array.isArray(apply?.outcomes)) {
    const done = apply.outcomes.filter((o) => o.status === 'applied').length;
    const failed = apply.outcomes.filter((o) => o.status === 'failed').length;
    const pending = apply.pending?.length ?? 0;
    const total = apply.outcomes.length + pending;
    const notes = [
      ...(failed ? [`${failed} failed`] : []),
      ...(pending ? [`${pending} pending, tried again in ${apply.retryInSeconds ?? 0} s`] : []),
    ];
    return [`  ${state}: ${done} of ${total} actions applied${notes.length ? ` (${notes.join(', ')})` : ''}`];
  }
  const summary = applied?.summary;
  if (summary) {
    return [
      `  ${state}: ${summary.applied ?? 0} applied, ${summary.failed ?? 0} failed, ${summary.skipped ?? 0} skipped`,
    ];
  }
  return [];
}

/** What following an execution saw: its progress lines, and how it ended. */
export interface FollowedExecution extends ExecutionOutcome {
  progress: string[];
  retries: number;
}

/** Turns history events into progress lines, remembering what it needs (Map sizes, the current state). */
export class ProgressReader {
  private state = '';
  private readonly maps = new Map<string, { length: number; done: number; failed: number }>();
  private openMaps = 0;
  retries = 0;

  lines(event: HistoryEvent): string[] {
    const type = event.type ?? '';
    const entered = event.stateEnteredEventDetails;
    if (type === 'MapStateExited') this.openMaps--;
    if (type.endsWith('StateEntered') && entered?.name) {
      this.state = entered.name;
      // States inside a Map's iterations show as its "n of m actions" instead.
      if (type === 'ChoiceStateEntered' || type === 'PassStateEntered' || this.openMaps > 0) return [];
      return [type === 'WaitStateEntered' ? `  ${entered.name}: waiting` : `  ${entered.name}`];
    }
    if (type === 'MapStateStarted') {
      const length = event.mapStateStartedEventDetails?.length ?? 0;
      this.maps.set(this.state, { length, done: 0, failed: 0 });
      this.openMaps++;
      return [`  ${this.state}: ${length} ${length === 1 ? 'action' : 'actions'}`];
    }
    if (type === 'MapIterationSucceeded' || type === 'MapIterationFailed') {
      const name =
        (type === 'MapIterationSucceeded'
          ? event.mapIterationSucceededEventDetails?.name
          : event.mapIterationFailedEventDetails?.name) ?? this.state;
      const map = this.maps.get(name);
      if (!map) return [];
      if (type === 'MapIterationSucceeded') map.done++;
      else map.failed++;
      return [
        `  ${name}: ${map.done + map.failed} of ${map.length} actions${map.failed ? ` (${map.failed} failed)` : ''}`,
      ];
    }
    if (type === 'TaskStateExited') {
      const exited = event.stateExitedEventDetails;
      return exited?.name ? applyProgress(exited.name, parseJson(exited.output)) : [];
    }
    if (type === 'LambdaFunctionFailed' || type === 'TaskFailed' || type === 'LambdaFunctionTimedOut') {
      const details = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      this.retries++;
      return [`  ${this.state}: ${details?.error ?? 'failed'} (Retry or Catch of the state decides what follows)`];
    }
    if (type === 'ExecutionSucceeded') return ['  succeeded'];
    if (type === 'ExecutionFailed')
      return [
        `  failed: ${event.executionFailedEventDetails?.error ?? ''} ${event.executionFailedEventDetails?.cause ?? ''}`.trimEnd(),
      ];
    if (type === 'ExecutionAborted') return ['  aborted'];
    if (type === 'ExecutionTimedOut') return ['  timed out'];
    return [];
  }
}

/**
 * Follows an execution to its end: reads its history as it grows (every `pollMs`), reporting each
 * new event's progress line, until it is no longer RUNNING. `deadlineMs` bounds the wait.
 */
export async function followExecution(
  sfn: SFNClient,
  executionArn: string,
  onLine: (line: string) => void,
  options: { pollMs?: number; deadlineMs?: number } = {},
): Promise<FollowedExecution> {
  const pollMs = options.pollMs ?? 500;
  const deadline = Date.now() + (options.deadlineMs ?? 3_600_000);
  const reader = new ProgressReader();
  const progress: string[] = [];
  let seen = 0;
  for (;;) {
    const outcome = await describeExecution(sfn, executionArn);
    const events: HistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn, maxResults: 1000 })) {
      events.push(...(page.events ?? []));
    }
    for (const event of events.slice(seen)) {
      for (const line of reader.lines(event)) {
        progress.push(line);
        onLine(line);
      }
    }
    seen = events.length;
    if (outcome.status !== 'RUNNING') return { ...outcome, progress, retries: reader.retries };
    if (Date.now() > deadline) return { ...outcome, progress, retries: reader.retries };
    await sleep(pollMs);
  }
}
