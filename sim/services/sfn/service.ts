import { randomUUID } from 'node:crypto';
import { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import type { AttachedServer, JsonService, RequestContext } from '../../core/service.js';
import { type CompiledDefinition, compileDefinition, parseDefinition } from './definition.js';
import { Execution, type ExecutionStatus, MAX_PAYLOAD_BYTES } from './execution.js';
import { ExecutionHistory } from './history.js';

export interface SfnServiceOptions {
  /**
   * Factor applied to Retry intervals, which pass in wall-clock time (1 = as written; the default
   * 0.001 turns 1 s into 1 ms). See the Execution constructor for why not simulated time.
   */
  retryDelayScale?: number;
}

interface StateMachineRecord {
  arn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn: string;
  definition: string;
  compiled: CompiledDefinition;
  region: string;
  creationDate: number;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):/;
const STATUSES = new Set<ExecutionStatus>(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Step Functions (awsJson1_0, target prefix AWSStepFunctions, signing name `states`): state machines
 * validated with asl-validator and executions run in-process by aws-local-stepfunctions, their Task
 * states calling the simulated account's own endpoint and their Wait states the simulated clock.
 */
export class SfnService implements JsonService {
  readonly name = 'states';
  readonly protocol = 'json';
  readonly targetPrefix = 'AWSStepFunctions';
  readonly jsonVersion = '1.0';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, Execution>();
  private readonly retryDelayScale: number;
  /** Whether executions started from now on wait out their retries on the simulated clock. */
  retryTime: 'wall' | 'simulated' = 'wall';
  private endpoint?: string;
  private clock = new SimClock();

  constructor(options: SfnServiceOptions = {}) {
    this.retryDelayScale = options.retryDelayScale ?? 0.001;
  }

  readonly actions = {
    CreateStateMachine: (
      params: { name?: unknown; definition?: unknown; roleArn?: unknown; type?: unknown },
      ctx: RequestContext,
    ) => {
      const name = validName(params.name);
      const type = params.type ?? 'STANDARD';
      if (type !== 'STANDARD' && type !== 'EXPRESS') {
        throw new AwsError('ValidationException', `Value '${String(type)}' at 'type' failed to satisfy constraint`);
      }
      if (typeof params.roleArn !== 'string' || !params.roleArn.startsWith('arn:')) {
        throw new AwsError('InvalidArn', `Invalid Arn: '${String(params.roleArn)}'`);
      }
      const definition = parseDefinition(params.definition);
      const arn = `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${name}`;
      const existing = this.machines.get(arn);
      if (existing) {
        // Idempotent for an identical request; a different one conflicts.
        if (
          existing.definition === params.definition &&
          existing.roleArn === params.roleArn &&
          existing.type === type
        ) {
          return { stateMachineArn: arn, creationDate: existing.creationDate / 1000 };
        }
        throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      const record: StateMachineRecord = {
        arn,
        name,
        type,
        roleArn: params.roleArn,
        definition: params.definition as string,
        compiled: compileDefinition(definition),
        region: ctx.region,
        creationDate: this.clock.now(),
      };
      this.machines.set(arn, record);
      return { stateMachineArn: arn, creationDate: record.creationDate / 1000 };
    },

    DescribeStateMachine: (params: { stateMachineArn?: unknown }) => {
      const machine = this.machine(params.stateMachineArn);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.definition,
        roleArn: machine.roleArn,
        type: machine.type,
        creationDate: machine.creationDate / 1000,
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    ListStateMachines: (params: { maxResults?: unknown; nextToken?: unknown }) => {
      const machines = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
      const page = paginate(machines, params.maxResults, params.nextToken);
      return {
        stateMachines: page.items.map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: m.type,
          creationDate: m.creationDate / 1000,
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },

    DeleteStateMachine: (params: { stateMachineArn?: unknown }) => {
      // Deleting an unknown (well-formed) state machine succeeds; running executions carry on, as in AWS.
      if (typeof params.stateMachineArn !== 'string' || !STATE_MACHINE_ARN.test(params.stateMachineArn)) {
        throw new AwsError('InvalidArn', `Invalid Arn: '${String(params.stateMachineArn)}'`);
      }
      this.machines.delete(params.stateMachineArn);
      return {};
    },

    StartExecution: (params: { stateMachineArn?: unknown; name?: unknown; input?: unknown }) => {
      const machine = this.machine(params.stateMachineArn);
      const name = params.name === undefined ? randomUUID() : validName(params.name);
      const input = params.input === undefined ? '{}' : params.input;
      if (typeof input === 'string' && Buffer.byteLength(input, 'utf8') > MAX_PAYLOAD_BYTES) {
        // The API reference caps input at 262144 (UTF-8 bytes); a length constraint is refused as any
        // other, with ValidationException (inferred: the exact answer is not documented).
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`,
        );
      }
      if (typeof input !== 'string' || !isJson(input)) {
        throw new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${String(input)}'`);
      }
      const base = `arn:aws:states:${machine.region}:${machine.arn.split(':')[4]}`;
      const arn =
        machine.type === 'EXPRESS'
          ? `${base}:express:${machine.name}:${name}:${randomUUID()}`
          : `${base}:execution:${machine.name}:${name}`;
      const existing = this.executions.get(arn);
      if (existing) {
        // Documented idempotency: the same name and input while the execution runs return it again.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn: existing.arn, startDate: existing.startDate / 1000 };
        }
        throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      const execution = new Execution({
        arn,
        name,
        stateMachineArn: machine.arn,
        stateMachineName: machine.name,
        roleArn: machine.roleArn,
        input,
        compiled: machine.compiled,
        clock: this.clock,
        endpoint: () => this.requireEndpoint(),
        region: machine.region,
        retryDelayScale: this.retryDelayScale,
        retryTime: this.retryTime,
      });
      this.executions.set(arn, execution);
      return { executionArn: arn, startDate: execution.startDate / 1000 };
    },

    DescribeExecution: (params: { executionArn?: unknown }) => describeExecution(this.execution(params.executionArn)),

    GetExecutionHistory: (params: {
      executionArn?: unknown;
      maxResults?: unknown;
      nextToken?: unknown;
      reverseOrder?: unknown;
      includeExecutionData?: unknown;
    }) => {
      const execution = this.execution(params.executionArn);
      const events = [...execution.history.events];
      if (params.reverseOrder === true) events.reverse();
      const page = paginate(events, params.maxResults, params.nextToken);
      const includeData = params.includeExecutionData !== false;
      return {
        events: page.items.map((e) => ExecutionHistory.toWire(e, includeData)),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },

    ListExecutions: (params: {
      stateMachineArn?: unknown;
      statusFilter?: unknown;
      maxResults?: unknown;
      nextToken?: unknown;
    }) => {
      const machineArn = this.machine(params.stateMachineArn).arn;
      if (params.statusFilter !== undefined && !STATUSES.has(params.statusFilter as ExecutionStatus)) {
        throw new AwsError(
          'ValidationException',
          `Value '${String(params.statusFilter)}' at 'statusFilter' is not valid`,
        );
      }
      // Newest first, as AWS lists them.
      const matching = [...this.executions.values()]
        .filter((e) => e.stateMachineArn === machineArn)
        .filter((e) => params.statusFilter === undefined || e.status === params.statusFilter)
        .reverse();
      const page = paginate(matching, params.maxResults, params.nextToken);
      return {
        executions: page.items.map((e) => ({
          executionArn: e.arn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate / 1000,
          ...(e.stopDate !== undefined ? { stopDate: e.stopDate / 1000 } : {}),
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },

    StopExecution: (params: { executionArn?: unknown; error?: unknown; cause?: unknown }) => {
      const execution = this.execution(params.executionArn);
      execution.stop(
        typeof params.error === 'string' ? params.error : undefined,
        typeof params.cause === 'string' ? params.cause : undefined,
      );
      return { stopDate: (execution.stopDate ?? this.clock.now()) / 1000 };
    },
  };

  attach(server: AttachedServer): void {
    this.endpoint = server.endpoint;
    this.clock = server.clock;
  }

  /** Resolves with the execution once it has ended and its history is complete. */
  /** The executions that satisfy a predicate, for the drill's checks. */
  executionsWith(predicate: (execution: Execution) => boolean): Execution[] {
    return [...this.executions.values()].filter(predicate);
  }

  /** True when no execution can make progress without simulated time passing. */
  isQuiet(): boolean {
    return [...this.executions.values()].every((e) => e.status !== 'RUNNING' || e.parked);
  }

  async waitForExecution(executionArn: string): Promise<Execution> {
    const execution = this.execution(executionArn);
    await execution.done;
    return execution;
  }

  /** The execution as DescribeExecution answers (dates in epoch seconds), for in-process callers. */
  describeExecution(executionArn: string): Record<string, unknown> {
    return describeExecution(this.execution(executionArn));
  }

  async stop(): Promise<void> {
    await this.abortAll();
  }

  /** POST /_sim/states/retry-time {"mode":"simulated"|"wall"}: how executions started afterwards retry. */
  control(method: string, subpath: string, body: unknown): unknown {
    if (method === 'POST' && subpath === 'retry-time') {
      const mode = (body as { mode?: unknown } | undefined)?.mode;
      if (mode !== 'wall' && mode !== 'simulated') throw new Error('retry-time: mode must be "wall" or "simulated"');
      this.retryTime = mode;
      return { retryTime: mode };
    }
    throw new Error(`no control route ${method} /_sim/states/${subpath}`);
  }

  async reset(): Promise<void> {
    this.retryTime = 'wall';
    await this.abortAll();
    this.machines.clear();
    this.executions.clear();
  }

  snapshot(): unknown {
    return {
      stateMachines: [...this.machines.values()].map((m) => ({ arn: m.arn, name: m.name, type: m.type })),
      executions: [...this.executions.values()].map((e) => ({
        arn: e.arn,
        status: e.status,
        startDate: new Date(e.startDate).toISOString(),
        ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate).toISOString() } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
      })),
    };
  }

  private async abortAll(): Promise<void> {
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const execution of running) execution.stop('Sim.Stopped', 'The simulated account was stopped or reset');
    await Promise.all(running.map((e) => e.done));
  }

  private requireEndpoint(): string {
    if (!this.endpoint) throw new Error('SfnService is not attached to a started SimServer');
    return this.endpoint;
  }

  private machine(arn: unknown): StateMachineRecord {
    if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn)) {
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
    }
    const machine = this.machines.get(arn);
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: unknown): Execution {
    if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn)) {
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
    }
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}

function describeExecution(e: Execution): Record<string, unknown> {
  return {
    executionArn: e.arn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate / 1000,
    input: e.input,
    inputDetails: { included: true },
    ...(e.stopDate !== undefined ? { stopDate: e.stopDate / 1000 } : {}),
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

function validName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new AwsError('InvalidName', `Invalid Name: '${String(name)}'`);
  return name;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Offset pagination with opaque tokens; maxResults 0 or absent means the API's page size (100). */
function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown): { items: T[]; nextToken?: string } {
  const size = typeof maxResults === 'number' && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let start = 0;
  if (nextToken !== undefined) {
    const decoded = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new AwsError('InvalidToken', `Invalid Token: '${String(nextToken)}'`);
    start = decoded;
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}
