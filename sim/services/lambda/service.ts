import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Context } from 'aws-lambda';
import { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import {
  type AttachedServer,
  type RawRequest,
  type RestJsonService,
  SIM_ACCOUNT_ID,
  SIM_DEFAULT_REGION,
} from '../../core/service.js';
import { type NetworkScope, runWithNetwork } from '../../network/intercept.js';
import { runWithClock } from './clock.js';
import { invocationContext, runtimeVariables } from './context.js';
import { runWithEnv } from './env.js';
import { type EmbeddedMetric, embeddedMetrics, runWithLogCapture } from './logs.js';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The header that names the invocation an outgoing request was made from (never forwarded upstream). */
export const INVOCATION_HEADER = 'x-sim-lambda-invocation';
const invocationStore = new AsyncLocalStorage<string>();

/**
 * Tags every HTTP request a handler makes with its invocation's request id, so the account can drop
 * what a timed-out invocation still sends: Lambda stops a function at its timeout, while a handler
 * run in-process would carry on. Installed at load, before any SDK client captures http.request.
 */
function tagOutgoingRequests(): void {
  const original = http.request;
  const tagged = ((...args: unknown[]) => {
    const id = invocationStore.getStore();
    const options = args[0];
    if (id && options && typeof options === 'object' && !(options instanceof URL)) {
      const o = options as http.RequestOptions;
      o.headers = { ...(o.headers as Record<string, string> | undefined), [INVOCATION_HEADER]: id };
    }
    return (original as (...a: unknown[]) => http.ClientRequest)(...args);
  }) as typeof http.request;
  if ((http.request as { simTagged?: boolean }).simTagged) return;
  Object.assign(tagged, { simTagged: true });
  http.request = tagged;
}
tagOutgoingRequests();

/** An execution environment taken for one invocation, given back when it ends. */
export interface ExecutionEnvironment {
  handler: LambdaHandler;
  release: () => void;
}

export interface FunctionSpec {
  name: string;
  handler: LambdaHandler;
  /**
   * Takes an idle execution environment or starts one (its Init phase: importing the code, reading
   * its configuration). Run before the function's timeout starts, as Lambda's Init phase has its own
   * limit; what it throws is the invocation's error. Without it, `handler` is called directly.
   */
  acquire?: () => Promise<ExecutionEnvironment>;
  environment?: Record<string, string>;
  /** Lambda's default is 3 seconds; enforced in wall-clock time. */
  timeoutSec?: number;
  /** Lambda's default is 128 MB; only reported to the handler. */
  memoryMb?: number;
  /** VpcConfig.SubnetIds: the function's connections then travel the simulated VPC network. */
  vpcSubnetIds?: string[];
}

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** Lambda's body for a function error. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export interface InvocationResult {
  requestId: string;
  statusCode: 200 | 202 | 204;
  executedVersion: '$LATEST';
  /** Set when the handler threw or timed out; payload is then a FunctionErrorPayload. */
  functionError?: 'Unhandled';
  payload: unknown;
}

export interface InvocationRecord {
  functionName: string;
  requestId: string;
  invocationType: Exclude<InvocationType, 'DryRun'>;
  payload: unknown;
  outcome: { result: unknown } | { error: FunctionErrorPayload };
  /** Simulated time the invocation started, and its wall-clock duration. */
  startedAt: string;
  /** performance.now() when the invocation started (wall clock, comparable with the request log). */
  startedAtWall: number;
  durationMs: number;
  /** What the function wrote to stdout/stderr: its log stream. */
  logs: string[];
}

interface RegisteredFunction extends Required<Omit<FunctionSpec, 'environment' | 'acquire' | 'vpcSubnetIds'>> {
  acquire?: FunctionSpec['acquire'];
  vpcSubnetIds: string[];
  arn: string;
  environment: Record<string, string>;
}

const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const FUNCTION_ARN =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]{1,64})(?::([a-zA-Z0-9$_-]+))?$/;

/**
 * Lambda's Invoke API (restJson1, signing name `lambda`) over handlers registered in-process: the
 * real handlers run with a Lambda-like context and their own environment variables.
 */
export class LambdaService implements RestJsonService {
  readonly name = 'lambda';
  readonly protocol = 'rest-json';
  readonly throttleError = { code: 'TooManyRequestsException', status: 429 };
  readonly invocations: InvocationRecord[] = [];
  /** Metrics the functions emitted in embedded metric format, as CloudWatch would extract them. */
  readonly metrics: EmbeddedMetric[] = [];
  private readonly functions = new Map<string, RegisteredFunction>();
  /** Asynchronous (Event) invocations still running. */
  private readonly queued = new Set<Promise<unknown>>();
  /** Invocations past their timeout: whatever they still send is dropped. */
  private readonly timedOut = new Set<string>();
  private clock = new SimClock();
  /** In the simulated account, "AWS" is the sim's endpoint: the runtime points the SDK at it. */
  private endpoint?: string;
  /** The simulated VPC network a function in these subnets runs in (set by the account that has one). */
  networkScope?: (subnetIds: string[]) => Promise<NetworkScope | undefined>;

  readonly routes = [
    {
      method: 'POST',
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/invocations$/,
      action: 'Invoke',
      handle: async (
        match: RegExpExecArray,
        query: URLSearchParams,
        body: unknown,
        _ctx: unknown,
        headers: RawRequest['headers'],
      ) => {
        const qualifier = query.get('Qualifier');
        const name = decodeURIComponent(match[1] ?? '') + (qualifier ? `:${qualifier}` : '');
        const type = headerValue(headers, 'x-amz-invocation-type') ?? 'RequestResponse';
        if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
          throw new AwsError('InvalidParameterValueException', `Unsupported invocation type ${type}`);
        }
        const result = await this.invoke(name, body, type);
        return {
          status: result.statusCode,
          headers: {
            'x-amz-executed-version': result.executedVersion,
            ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
          },
          body: result.statusCode === 200 ? Buffer.from(JSON.stringify(result.payload ?? null)) : Buffer.alloc(0),
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/configuration$/,
      action: 'GetFunctionConfiguration',
      handle: (match: RegExpExecArray, query: URLSearchParams) => {
        const qualifier = query.get('Qualifier');
        const name = decodeURIComponent(match[1] ?? '') + (qualifier ? `:${qualifier}` : '');
        return { body: this.configuration(this.resolve(name)) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/functions\/?$/,
      action: 'ListFunctions',
      handle: (_match: RegExpExecArray, query: URLSearchParams) => {
        // Pages of MaxItems (Lambda's default and maximum is 50), continued with the Marker it returns.
        const max = Math.min(Math.max(Number(query.get('MaxItems') ?? 50) || 50, 1), 50);
        const all = [...this.functions.values()].sort((a, b) => a.name.localeCompare(b.name));
        const start = Number(query.get('Marker') ?? 0) || 0;
        const page = all.slice(start, start + max);
        return {
          body: {
            Functions: page.map((f) => this.configuration(f)),
            ...(start + max < all.length ? { NextMarker: String(start + max) } : {}),
          },
        };
      },
    },
  ];

  attach(server: AttachedServer): void {
    this.clock = server.clock;
    this.endpoint = server.endpoint;
  }

  /** Makes a handler invocable by name or ARN; returns the function's ARN. */
  register(spec: FunctionSpec): string {
    if (!FUNCTION_NAME.test(spec.name)) throw new TypeError(`invalid Lambda function name ${spec.name}`);
    const arn = `arn:aws:lambda:${SIM_DEFAULT_REGION}:${SIM_ACCOUNT_ID}:function:${spec.name}`;
    this.functions.set(spec.name, {
      name: spec.name,
      handler: spec.handler,
      ...(spec.acquire ? { acquire: spec.acquire } : {}),
      environment: { ...spec.environment },
      timeoutSec: spec.timeoutSec ?? 3,
      memoryMb: spec.memoryMb ?? 128,
      vpcSubnetIds: [...(spec.vpcSubnetIds ?? [])],
      arn,
    });
    return arn;
  }

  /** Invokes a function in-process, exactly as the Invoke API does (and records it). */
  async invoke(
    nameOrArn: string,
    payload: unknown,
    invocationType: InvocationType = 'RequestResponse',
  ): Promise<InvocationResult> {
    const fn = this.resolve(nameOrArn);
    const requestId = randomUUID();
    if (invocationType === 'DryRun') return { requestId, statusCode: 204, executedVersion: '$LATEST', payload: null };
    const run = this.run(fn, nameOrArn, payload, requestId, invocationType);
    if (invocationType === 'Event') {
      // Lambda queues the event and answers at once; the invocation's outcome only shows in the record.
      this.queued.add(run);
      void run.finally(() => this.queued.delete(run));
      return { requestId, statusCode: 202, executedVersion: '$LATEST', payload: null };
    }
    const outcome = await run;
    return 'error' in outcome
      ? { requestId, statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', payload: outcome.error }
      : { requestId, statusCode: 200, executedVersion: '$LATEST', payload: outcome.result };
  }

  /** Whether no asynchronous invocation is running. */
  isQuiet(): boolean {
    return this.queued.size === 0;
  }

  /** Resolves once every asynchronous invocation started so far has finished. */
  async settled(): Promise<void> {
    while (this.queued.size > 0) await Promise.allSettled([...this.queued]);
  }

  /** True for a request sent by an invocation that has timed out (Lambda would have stopped it). */
  isTimedOut(requestId: string): boolean {
    return this.timedOut.has(requestId);
  }

  reset(): void {
    this.timedOut.clear();
    this.functions.clear();
    this.invocations.length = 0;
    this.metrics.length = 0;
  }

  snapshot(): unknown {
    return {
      functions: [...this.functions.values()].map((f) => ({
        name: f.name,
        arn: f.arn,
        environment: f.environment,
        timeoutSec: f.timeoutSec,
        memoryMb: f.memoryMb,
      })),
      invocations: this.invocations.map(
        ({ functionName, requestId, invocationType, startedAt, durationMs, outcome }) => ({
          functionName,
          requestId,
          invocationType,
          startedAt,
          durationMs,
          ok: 'result' in outcome,
        }),
      ),
    };
  }

  /**
   * A function's configuration as GetFunctionConfiguration and ListFunctions describe it. The handler
   * runs in-process, so Handler, CodeSha256 and CodeSize describe no real artifact (known difference).
   */
  private configuration(fn: RegisteredFunction): Record<string, unknown> {
    return {
      FunctionName: fn.name,
      FunctionArn: fn.arn,
      Runtime: 'nodejs22.x',
      Role: `arn:aws:iam::${SIM_ACCOUNT_ID}:role/${fn.name}-role`,
      Handler: 'index.handler',
      CodeSize: 0,
      Timeout: fn.timeoutSec,
      MemorySize: fn.memoryMb,
      Version: '$LATEST',
      PackageType: 'Zip',
      Architectures: ['arm64'],
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Environment: { Variables: { ...fn.environment } },
    };
  }

  private resolve(nameOrArn: string): RegisteredFunction {
    const match = FUNCTION_ARN.exec(nameOrArn);
    const [, region, account, name, qualifier] = match ?? [];
    const fn = name ? this.functions.get(name) : undefined;
    const wrongPlace =
      (region !== undefined && region !== SIM_DEFAULT_REGION) || (account !== undefined && account !== SIM_ACCOUNT_ID);
    if (!fn || wrongPlace || (qualifier !== undefined && qualifier !== '$LATEST')) {
      const arn = `arn:aws:lambda:${region ?? SIM_DEFAULT_REGION}:${account ?? SIM_ACCOUNT_ID}:function:${name ?? nameOrArn}`;
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: ${qualifier ? `${arn}:${qualifier}` : arn}`,
        404,
      );
    }
    return fn;
  }

  private async run(
    fn: RegisteredFunction,
    invokedAs: string,
    payload: unknown,
    requestId: string,
    invocationType: 'RequestResponse' | 'Event',
  ): Promise<InvocationRecord['outcome']> {
    const contextInput = {
      functionName: fn.name,
      functionArn: fn.arn,
      invokedFunctionArn: invokedAs.startsWith('arn:') ? invokedAs : fn.arn,
      memoryMb: fn.memoryMb,
      timeoutSec: fn.timeoutSec,
      requestId,
      date: this.clock.date(),
    };
    const startedAt = this.clock.iso();
    const started = performance.now();
    // The handler gets its own copy, as it would after the payload's JSON round trip.
    const event = structuredClone(payload);
    const variables = {
      ...runtimeVariables(contextInput, SIM_DEFAULT_REGION),
      ...(this.endpoint ? { AWS_ENDPOINT_URL: this.endpoint } : {}),
      ...fn.environment,
    };
    const logs: string[] = [];
    const scoped = <T>(work: () => Promise<T>, scope: Parameters<typeof runWithNetwork>[0] | undefined) =>
      invocationStore.run(requestId, () =>
        runWithLogCapture(logs, () =>
          runWithClock(this.clock, () => runWithEnv(variables, () => (scope ? runWithNetwork(scope, work) : work()))),
        ),
      );
    let timer: NodeJS.Timeout | undefined;
    let environment: ExecutionEnvironment | undefined;
    let outcome: InvocationRecord['outcome'];
    try {
      const scope =
        fn.vpcSubnetIds.length > 0 && this.networkScope ? await this.networkScope(fn.vpcSubnetIds) : undefined;
      // The Init phase of a new environment (or none, for an idle one) comes before the timeout starts.
      environment = fn.acquire ? await scoped(() => fn.acquire!(), scope) : undefined;
      const handler = environment?.handler ?? fn.handler;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.timedOut.add(requestId);
          reject(new LambdaTimeout(requestId, fn.timeoutSec));
        }, fn.timeoutSec * 1000);
      });
      const result = await Promise.race([
        scoped(() => handler(event, invocationContext(contextInput)), scope),
        timedOut,
      ]);
      // What the caller receives is the JSON of the result; undefined becomes null.
      outcome = { result: JSON.parse(JSON.stringify(result ?? null)) };
    } catch (err) {
      outcome = { error: errorPayload(err) };
    } finally {
      clearTimeout(timer);
      environment?.release();
    }
    this.invocations.push({
      functionName: fn.name,
      requestId,
      invocationType,
      payload,
      outcome,
      startedAt,
      startedAtWall: started,
      durationMs: performance.now() - started,
      logs,
    });
    this.metrics.push(...embeddedMetrics(logs));
    return outcome;
  }
}

class LambdaTimeout extends Error {
  constructor(requestId: string, timeoutSec: number) {
    super(`RequestId: ${requestId} Error: Task timed out after ${timeoutSec.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** What the Node.js runtime reports for an error a handler throws: errorType is the error's name. */
function errorPayload(err: unknown): FunctionErrorPayload {
  if (err instanceof LambdaTimeout) return { errorType: err.name, errorMessage: err.message, trace: [] };
  if (err instanceof Error) {
    return {
      errorType: err.name,
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n').filter((line) => line !== ''),
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

function headerValue(headers: RawRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
