import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { SimClock } from '../../core/clock.js';
import { mulberry32 } from '../../core/faults.js';
import {
  type CompiledDefinition,
  type Retrier,
  SIM_WAIT_RESOURCE,
  type StateInfo,
  scaleRetries,
} from './definition.js';
import { ExecutionHistory, payload } from './history.js';
import { TaskError } from './sdk.js';
import { runTask } from './tasks.js';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LocalHandlerResult = ReturnType<LocalHandlers[string]>;

/** The runner's event log entries (the package does not export their type). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionSpec {
  arn: string;
  name: string;
  stateMachineArn: string;
  stateMachineName: string;
  roleArn: string;
  /** Input JSON text, as given to StartExecution. */
  input: string;
  compiled: CompiledDefinition;
  clock: SimClock;
  endpoint: () => string;
  region: string;
  /** Factor applied to Retry intervals, which elapse in wall-clock time. */
  retryDelayScale: number;
  /**
   * `simulated`: a Task's Retry waits on the simulated clock instead (the execution is parked meanwhile,
   * so time must be advanced), as long as AWS would wait; `wall`: scaled wall-clock waits.
   */
  retryTime?: 'wall' | 'simulated';
}

/** A Task attempt that failed and will be retried: when, and how many times each retrier has fired. */
interface PendingRetry {
  due: number;
  attempts: number[];
}

/** Step Functions' payload quota: 256 KiB of UTF-8 for an execution's input, a task's result, a state's output. */
export const MAX_PAYLOAD_BYTES = 262_144;

/** One execution, run in-process by aws-local-stepfunctions, with an AWS-shaped history. */
export class Execution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly startDate: number;
  readonly history: ExecutionHistory;
  status: ExecutionStatus = 'RUNNING';
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Settles when the execution has ended and its history is complete. */
  readonly done: Promise<void>;
  private readonly abortRun: () => void;
  private readonly pendingWaits = new Set<() => void>();
  private tasksInFlight = 0;
  /** Retries on the simulated clock, by state and input (a Map's iterations differ by their input). */
  private readonly retries = new Map<string, PendingRetry>();
  private readonly random: () => number;

  constructor(private readonly spec: ExecutionSpec) {
    this.arn = spec.arn;
    this.name = spec.name;
    this.stateMachineArn = spec.stateMachineArn;
    this.input = spec.input;
    this.startDate = spec.clock.now();
    this.history = new ExecutionHistory(spec.clock, (error, cause) => this.terminate(error, cause, false));

    // Retry waits pass in wall-clock time, scaled down (a drill that injects a throttle expects the retry
    // without moving the simulated clock, and tests must stay fast); BackoffRate, MaxDelaySeconds and
    // jitter still shape them, as the runner computes them from the scaled definition.
    const simulatedRetries = spec.retryTime === 'simulated';
    this.random = mulberry32([...spec.name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
    const machine = new StateMachine(
      (simulatedRetries ? spec.compiled.runnable : scaleRetries(spec.compiled.runnable, spec.retryDelayScale)) as never,
      { validationOptions: { noValidate: true } },
    );
    const run = machine.run(JSON.parse(spec.input), {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(),
        // The runner retries at once; the wait happens in the task handler, on the simulated clock.
        ...(simulatedRetries
          ? {
              retryIntervalOverrides: Object.fromEntries(
                [...spec.compiled.states.values()].filter((st) => st.retry).map((st) => [st.name, 0]),
              ),
            }
          : {}),
      },
      context: {
        Execution: { Id: spec.arn, Name: spec.name, RoleArn: spec.roleArn },
        StateMachine: { Id: spec.stateMachineArn, Name: spec.stateMachineName },
      },
    });
    this.abortRun = run.abort;
    // The outcome is read from the event log; the result promise only must not reject unhandled.
    run.result.catch(() => undefined);
    this.done = this.record(run.eventLogs);
  }

  /** Running, but only simulated time can move it on: every live branch sits in a Wait state. */
  get parked(): boolean {
    return this.status === 'RUNNING' && this.pendingWaits.size > 0 && this.tasksInFlight === 0;
  }

  /**
   * A terminal error no Catch handles (States.DataLimitExceeded, the history quota): the execution
   * fails at once with it, and the runner is stopped.
   */
  private terminate(error: string, cause: string, record = true): void {
    if (this.status !== 'RUNNING') return;
    this.finish('FAILED', { error, cause });
    if (record) this.history.add('ExecutionFailed', { error, cause });
    this.abortRun();
    for (const release of this.pendingWaits) release();
  }

  /**
   * Step Functions' payload quota: a task result or a state output above 256 KiB (UTF-8) fails the
   * execution with States.DataLimitExceeded, which no Retry or Catch (not even States.ALL) handles. A
   * state's output is checked as the runner reports it, so the next state may already have started.
   */
  private checkPayload(stateName: string, value: unknown): void {
    if (this.status !== 'RUNNING') return;
    const size = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
    if (size > MAX_PAYLOAD_BYTES) {
      this.terminate(
        'States.DataLimitExceeded',
        `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit (${size} > ${MAX_PAYLOAD_BYTES}).`,
      );
    }
  }

  /** StopExecution: ABORTED at once, with the caller's error and cause. */
  stop(error?: string, cause?: string): void {
    if (this.status !== 'RUNNING') return;
    this.finish('ABORTED', { error, cause });
    this.abortRun();
    // Release Wait states held on the clock so the runner can notice the abort and let go.
    for (const release of this.pendingWaits) release();
  }

  private taskHandlers(): LocalHandlers {
    const handlers: LocalHandlers = {};
    for (const state of this.spec.compiled.states.values()) {
      if (state.type === 'Wait') handlers[state.name] = (input) => this.wait(input as never) as LocalHandlerResult;
      else if (state.type === 'Task') {
        handlers[state.name] = async (input) => {
          const key = `${state.name}\u0000${JSON.stringify(input ?? null)}`;
          const pending = this.retries.get(key);
          if (pending && pending.due > this.spec.clock.now()) await this.sleepUntil(pending.due);
          // A retry still waiting when the execution was stopped is never made.
          if (this.status !== 'RUNNING') throw new TaskError('States.Runtime', 'the execution has ended');
          this.tasksInFlight++;
          try {
            const output = (await runTask(state, input, {
              endpoint: this.spec.endpoint(),
              region: this.spec.region,
              emit: (type, details) => this.history.add(type, details),
            })) as Awaited<LocalHandlerResult>;
            this.retries.delete(key);
            this.checkPayload(state.name, output);
            return output;
          } catch (err) {
            if (this.spec.retryTime === 'simulated') this.scheduleRetry(key, state, err);
            throw err;
          } finally {
            this.tasksInFlight--;
          }
        };
      }
    }
    return handlers;
  }

  /**
   * After a failed attempt, when the state's Retry will run it again: as the ASL computes it
   * (IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds, FULL jitter from a generator seeded
   * by the execution's name), counted from now on the simulated clock.
   */
  private scheduleRetry(key: string, state: StateInfo, err: unknown): void {
    const name = (err as { name?: string }).name ?? 'States.TaskFailed';
    const index = (state.retry ?? []).findIndex((r: Retrier) =>
      r.ErrorEquals.some(
        (e) => e === name || e === 'States.ALL' || (e === 'States.TaskFailed' && name !== 'States.Timeout'),
      ),
    );
    const retrier = state.retry?.[index];
    const pending = this.retries.get(key) ?? { due: 0, attempts: [] };
    const done = pending.attempts[index] ?? 0;
    if (!retrier || done >= (retrier.MaxAttempts ?? 3)) {
      this.retries.delete(key);
      return;
    }
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done;
    const capped = retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
    const seconds = retrier.JitterStrategy === 'FULL' ? this.random() * capped : capped;
    pending.attempts[index] = done + 1;
    pending.due = this.spec.clock.now() + Math.round(seconds * 1000);
    this.retries.set(key, pending);
  }

  /** Parks the execution until the simulated clock reaches `due` (or the execution is stopped). */
  private async sleepUntil(due: number): Promise<void> {
    if (this.status !== 'RUNNING') return;
    await new Promise<void>((resolve) => {
      const release = () => {
        cancel();
        this.pendingWaits.delete(release);
        resolve();
      };
      const cancel = this.spec.clock.schedule(due, release);
      this.pendingWaits.add(release);
    });
  }

  /** A Wait state (rewritten to a Task on SIM_WAIT_RESOURCE) ends when the simulated clock reaches its time. */
  private async wait(params: { seconds?: unknown; timestamp?: unknown; input?: unknown }): Promise<unknown> {
    const clock = this.spec.clock;
    let due: number;
    if (params.timestamp !== undefined) {
      due = typeof params.timestamp === 'string' ? Date.parse(params.timestamp) : Number.NaN;
    } else {
      due =
        typeof params.seconds === 'number' && params.seconds >= 0 ? clock.now() + params.seconds * 1000 : Number.NaN;
    }
    if (Number.isNaN(due)) {
      throw new TaskError('States.Runtime', `${SIM_WAIT_RESOURCE}: the Wait state's duration or timestamp is invalid`);
    }
    if (due > clock.now() && this.status === 'RUNNING') {
      await new Promise<void>((resolve) => {
        const release = () => {
          cancel();
          this.pendingWaits.delete(release);
          resolve();
        };
        const cancel = clock.schedule(due, release);
        this.pendingWaits.add(release);
      });
    }
    return params.input;
  }

  private async record(events: AsyncGenerator<EventLog>): Promise<void> {
    const states = this.spec.compiled.states;
    const typeOf = (name: string) => states.get(name)?.type ?? 'Task';
    for await (const event of events) {
      switch (event.type) {
        case 'ExecutionStarted':
          this.history.add('ExecutionStarted', { ...payload(event.input, 'input'), roleArn: this.spec.roleArn });
          break;
        case 'StateEntered': {
          const type = typeOf(event.state.name);
          this.history.add(`${type}StateEntered`, { name: event.state.name, ...payload(event.state.input, 'input') });
          if (type === 'Map') {
            const items = mapItems(states.get(event.state.name), event.state.input);
            this.history.add('MapStateStarted', items ? { length: items.length } : { length: 0 });
          }
          if (type === 'Parallel') this.history.add('ParallelStateStarted');
          break;
        }
        case 'StateExited': {
          const type = typeOf(event.state.name);
          this.checkPayload(event.state.name, event.state.output);
          if (type === 'Map') this.history.add('MapStateSucceeded');
          if (type === 'Parallel') this.history.add('ParallelStateSucceeded');
          this.history.add(`${type}StateExited`, { name: event.state.name, ...payload(event.state.output, 'output') });
          break;
        }
        case 'StateFailed': {
          const type = typeOf(event.state.name);
          if (type === 'Map' || type === 'Parallel') {
            this.history.add(`${type}StateFailed`, { error: event.Error, cause: causeText(event.Cause) });
          }
          break;
        }
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed':
          this.history.add(event.type, { name: event.parentState.name, index: event.index });
          break;
        case 'ExecutionSucceeded':
          this.finish('SUCCEEDED', { output: JSON.stringify(event.output ?? null) });
          this.history.add('ExecutionSucceeded', payload(event.output, 'output'));
          break;
        case 'ExecutionFailed': {
          const cause = causeText(event.Cause);
          this.finish('FAILED', { error: event.Error, cause });
          this.history.add('ExecutionFailed', { error: event.Error, ...(cause !== undefined ? { cause } : {}) });
          break;
        }
        case 'ExecutionAborted':
          this.history.add('ExecutionAborted', withDefined({ error: this.error, cause: this.cause }));
          break;
        case 'ExecutionTimeout':
          this.finish('TIMED_OUT', { error: 'States.Timeout' });
          this.history.add('ExecutionTimedOut', { error: 'States.Timeout' });
          break;
        default:
          // StateRetried, StateCaught and Parallel branch events have no AWS history counterpart.
          break;
      }
    }
  }

  private finish(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    fields: Partial<Record<'output' | 'error' | 'cause', string>>,
  ) {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    this.stopDate = this.spec.clock.now();
    Object.assign(this, withDefined(fields));
  }
}

function withDefined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/** The items a Map state iterates, for MapStateStarted's length; simple `$.a.b` paths only. */
function mapItems(state: StateInfo | undefined, input: unknown): unknown[] | undefined {
  let value = selectPath(state?.inputPath === undefined ? '$' : state.inputPath, input);
  value = selectPath(state?.itemsPath ?? '$', value);
  return Array.isArray(value) ? value : undefined;
}

function selectPath(path: string | null, value: unknown): unknown {
  if (path === null) return {};
  if (!/^\$(\.[A-Za-z0-9_-]+)*$/.test(path)) return undefined;
  let current = value;
  for (const key of path.split('.').slice(1)) {
    current = current && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}
