import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StateInfo } from './definition.js';
import { payload } from './history.js';
import { callSdk, type IntegrationStyle, isKnownService, TaskError } from './sdk.js';

export interface TaskEnvironment {
  endpoint: string;
  region: string;
  emit(type: string, details?: Record<string, unknown>): void;
}

type Resource =
  | { kind: 'lambda-function'; functionArn: string }
  | { kind: 'integration'; style: IntegrationStyle; service: string; action: string };

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(?::[a-zA-Z0-9$_-]+)?$/;
const OPTIMIZED = new Set([
  'lambda:invoke',
  'dynamodb:getItem',
  'dynamodb:putItem',
  'dynamodb:updateItem',
  'dynamodb:deleteItem',
  'sns:publish',
  'events:putEvents',
]);

function parseResource(resource: string): Resource {
  if (LAMBDA_FUNCTION_ARN.test(resource)) return { kind: 'lambda-function', functionArn: resource };
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(resource);
  if (sdk && isKnownService(sdk[1]!)) {
    return { kind: 'integration', style: 'aws-sdk', service: sdk[1]!, action: sdk[2]! };
  }
  const optimized = /^arn:aws[a-z-]*:states:::([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(resource);
  if (optimized && OPTIMIZED.has(`${optimized[1]}:${optimized[2]}`)) {
    return { kind: 'integration', style: 'optimized', service: optimized[1]!, action: optimized[2]! };
  }
  // Activities, .sync and .waitForTaskToken patterns and other services are not simulated.
  throw new TaskError('States.Runtime', `The simulated account does not support the Task resource ${resource}`);
}

/** Runs one attempt of a Task state and records its history events (Task* or LambdaFunction*). */
export async function runTask(state: StateInfo, input: unknown, env: TaskEnvironment): Promise<unknown> {
  // Let the history consumer take in the state's Entered event (queued by the runner) before this task's events.
  await nextTurn();
  const resource = parseResource(state.resource ?? '');
  if (resource.kind === 'lambda-function') return runLambdaFunction(resource.functionArn, input, env);

  const resourceType = resource.style === 'aws-sdk' ? `aws-sdk:${resource.service}` : resource.service;
  const task = { resourceType, resource: resource.action };
  env.emit('TaskScheduled', {
    ...task,
    region: env.region,
    parameters: JSON.stringify(input ?? null),
    ...(state.timeoutSeconds !== undefined ? { timeoutInSeconds: state.timeoutSeconds } : {}),
  });
  env.emit('TaskStarted', task);
  try {
    const output =
      resource.service === 'lambda' && resource.action === 'invoke'
        ? await lambdaInvoke(input, env)
        : await integration(resource.style, resource.service, resource.action, input, env);
    env.emit('TaskSucceeded', { ...task, ...payload(output, 'output') });
    return output;
  } catch (err) {
    const error = asTaskError(err);
    env.emit('TaskFailed', { ...task, error: error.name, cause: error.message });
    throw error;
  }
}

async function integration(
  style: IntegrationStyle,
  service: string,
  action: string,
  params: unknown,
  env: TaskEnvironment,
): Promise<unknown> {
  const request = style === 'optimized' ? optimizedRequest(service, action, params) : params;
  const result = await callSdk({ service, action, params: request, style, endpoint: env.endpoint, region: env.region });
  if (style === 'aws-sdk') return result.output;
  // Optimized integrations return the Java SDK v1 result, metadata included (headers not modelled).
  return { ...result.output, ...sdkMetadata(result.statusCode, result.requestId) };
}

/** `arn:aws:states:::lambda:invoke`: the Invoke API's answer, the function's error named by its errorType. */
async function lambdaInvoke(input: unknown, env: TaskEnvironment): Promise<unknown> {
  const params = (input ?? {}) as Record<string, unknown>;
  const answer = await invokeFunction(params.FunctionName, params.Payload, env, 'optimized', {
    ...(typeof params.InvocationType === 'string' ? { InvocationType: params.InvocationType } : {}),
    ...(typeof params.Qualifier === 'string' ? { Qualifier: params.Qualifier } : {}),
  });
  return {
    ExecutedVersion: answer.executedVersion,
    Payload: answer.payload,
    ...sdkMetadata(answer.statusCode, answer.requestId),
    StatusCode: answer.statusCode,
  };
}

/** A bare function ARN as Resource: the output is the function's payload, history uses LambdaFunction* events. */
async function runLambdaFunction(functionArn: string, input: unknown, env: TaskEnvironment): Promise<unknown> {
  env.emit('LambdaFunctionScheduled', { resource: functionArn, ...payload(input, 'input') });
  env.emit('LambdaFunctionStarted');
  try {
    const answer = await invokeFunction(functionArn, input, env, 'aws-sdk', {});
    env.emit('LambdaFunctionSucceeded', payload(answer.payload, 'output'));
    return answer.payload;
  } catch (err) {
    const error = asTaskError(err);
    env.emit('LambdaFunctionFailed', { error: error.name, cause: error.message });
    throw error;
  }
}

interface InvokeAnswer {
  payload: unknown;
  statusCode: number;
  executedVersion: string;
  requestId: string;
}

async function invokeFunction(
  functionName: unknown,
  eventPayload: unknown,
  env: TaskEnvironment,
  style: IntegrationStyle,
  extra: Record<string, string>,
): Promise<InvokeAnswer> {
  if (typeof functionName !== 'string') {
    throw new TaskError('States.Runtime', 'The field "FunctionName" is required by lambda:invoke');
  }
  const result = await callSdk({
    service: 'lambda',
    action: 'invoke',
    params: { FunctionName: functionName, Payload: Buffer.from(JSON.stringify(eventPayload ?? {})), ...extra },
    style,
    endpoint: env.endpoint,
    region: env.region,
  });
  const { Payload, FunctionError, ExecutedVersion, StatusCode } = result.output;
  const text = typeof Payload === 'string' ? Buffer.from(Payload, 'base64').toString('utf8') : '';
  const parsed = text === '' ? null : parseJson(text);
  if (FunctionError) {
    // As in AWS: Error is the function's errorType, Cause the error payload's JSON text.
    const errorType = (parsed as { errorType?: unknown } | null)?.errorType;
    throw new TaskError(typeof errorType === 'string' ? errorType : 'Lambda.Unknown', text);
  }
  return {
    payload: parsed,
    statusCode: typeof StatusCode === 'number' ? StatusCode : result.statusCode,
    executedVersion: typeof ExecutedVersion === 'string' ? ExecutedVersion : '$LATEST',
    requestId: result.requestId,
  };
}

/** Optimized integrations accept JSON where the API wants text: events:putEvents Detail, sns:publish Message. */
function optimizedRequest(service: string, action: string, params: unknown): unknown {
  const text = (value: unknown) => (typeof value === 'string' || value === undefined ? value : JSON.stringify(value));
  const p = (params ?? {}) as Record<string, unknown>;
  if (service === 'events' && action === 'putEvents' && Array.isArray(p.Entries)) {
    return { ...p, Entries: p.Entries.map((e: Record<string, unknown>) => ({ ...e, Detail: text(e.Detail) })) };
  }
  if (service === 'sns' && action === 'publish') return { ...p, Message: text(p.Message) };
  return params;
}

function sdkMetadata(statusCode: number, requestId: string): Record<string, unknown> {
  return {
    SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function asTaskError(err: unknown): TaskError {
  return err instanceof TaskError ? err : new TaskError('States.TaskFailed', String(err));
}
