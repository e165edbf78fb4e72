/**
 * Calls AWS APIs for Task states, through the simulated account's own endpoint (so they show in
 * its request log and meet its faults), with the unmodified AWS SDK v3 clients.
 */

interface SdkService {
  pkg: string;
  client: string;
  /** Service name Step Functions puts before AWS SDK integration errors (the Java SDK v2 service id). */
  sdkPrefix: string;
  /** Service name and generic exception of optimized integrations (the Java SDK v1 names). */
  optimized?: { prefix: string; generic: string; v1Service: string };
}

const SERVICES: Record<string, SdkService> = {
  ec2: { pkg: '@aws-sdk/client-ec2', client: 'EC2Client', sdkPrefix: 'Ec2' },
  route53resolver: {
    pkg: '@aws-sdk/client-route53resolver',
    client: 'Route53ResolverClient',
    sdkPrefix: 'Route53Resolver',
  },
  dynamodb: {
    pkg: '@aws-sdk/client-dynamodb',
    client: 'DynamoDBClient',
    sdkPrefix: 'DynamoDb',
    optimized: { prefix: 'DynamoDB', generic: 'AmazonDynamoDBException', v1Service: 'AmazonDynamoDBv2' },
  },
  sns: {
    pkg: '@aws-sdk/client-sns',
    client: 'SNSClient',
    sdkPrefix: 'Sns',
    optimized: { prefix: 'SNS', generic: 'AmazonSNSException', v1Service: 'AmazonSNS' },
  },
  eventbridge: { pkg: '@aws-sdk/client-eventbridge', client: 'EventBridgeClient', sdkPrefix: 'EventBridge' },
  events: {
    pkg: '@aws-sdk/client-eventbridge',
    client: 'EventBridgeClient',
    sdkPrefix: 'EventBridge',
    optimized: { prefix: 'EventBridge', generic: 'AmazonEventBridgeException', v1Service: 'AmazonEventBridge' },
  },
  lambda: {
    pkg: '@aws-sdk/client-lambda',
    client: 'LambdaClient',
    sdkPrefix: 'Lambda',
    optimized: { prefix: 'Lambda', generic: 'AWSLambdaException', v1Service: 'AWSLambda' },
  },
  sfn: { pkg: '@aws-sdk/client-sfn', client: 'SFNClient', sdkPrefix: 'Sfn' },
};

/** An error as a Task state reports it: the name Retry and Catch match, and the cause. */
export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    // Retry/Catch in aws-local-stepfunctions match on `name` (here the Step Functions error name), and
    // report `message` as the Cause.
    this.name = name;
  }
}

export type IntegrationStyle = 'aws-sdk' | 'optimized';

export interface SdkCall {
  service: string;
  action: string;
  params: unknown;
  style: IntegrationStyle;
  endpoint: string;
  region: string;
}

export interface SdkResult {
  output: Record<string, unknown>;
  statusCode: number;
  requestId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: SDK modules are loaded by name
type SdkModule = Record<string, any>;
const modules = new Map<string, Promise<SdkModule>>();
const clients = new Map<string, { send: (command: unknown) => Promise<Record<string, unknown>> }>();

export function isKnownService(service: string): boolean {
  return Object.hasOwn(SERVICES, service);
}

/** Sends one API call; throws a TaskError named the way Step Functions names the integration's errors. */
export async function callSdk(call: SdkCall): Promise<SdkResult> {
  const spec = SERVICES[call.service];
  if (!spec) throw new TaskError('States.Runtime', `The simulated account cannot call service ${call.service}`);
  const mod = await loadModule(spec.pkg);
  const Command = mod[`${call.action.charAt(0).toUpperCase()}${call.action.slice(1)}Command`];
  if (typeof Command !== 'function') {
    throw new TaskError('States.Runtime', `The API action ${call.service}:${call.action} does not exist`);
  }
  const client = clientFor(spec, mod, call.endpoint, call.region);
  try {
    const { $metadata, ...output } = await client.send(new Command(call.params));
    const metadata = $metadata as { httpStatusCode?: number; requestId?: string } | undefined;
    return {
      output: toJson(output) as Record<string, unknown>,
      statusCode: metadata?.httpStatusCode ?? 200,
      requestId: metadata?.requestId ?? '',
    };
  } catch (err) {
    throw taskErrorOf(err, spec, mod, call.style);
  }
}

function loadModule(pkg: string): Promise<SdkModule> {
  let mod = modules.get(pkg);
  if (!mod) {
    mod = import(pkg) as Promise<SdkModule>;
    modules.set(pkg, mod);
  }
  return mod;
}

function clientFor(spec: SdkService, mod: SdkModule, endpoint: string, region: string) {
  const key = `${spec.client} ${endpoint} ${region}`;
  let client = clients.get(key);
  if (!client) {
    client = new mod[spec.client]({
      endpoint,
      region,
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
      // Step Functions surfaces the first error to Retry/Catch; the state machine decides on retries.
      maxAttempts: 1,
    }) as { send: (command: unknown) => Promise<Record<string, unknown>> };
    clients.set(key, client);
  }
  return client;
}

/**
 * Step Functions' error names (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html):
 * AWS SDK integrations report `ServiceName.ErrorName` with an `Exception` suffix added where the
 * code lacks one. Step Functions calls AWS with the Java SDKs, so an error code the SDK does not
 * model as its own exception class arrives as the service's base exception. EC2 models none of its
 * error codes, so every EC2 error is `Ec2.Ec2Exception` (as users report), and its code is only in
 * the Cause. Optimized integrations use the Java SDK v1 names (`DynamoDB.ConditionalCheckFailedException`,
 * generic `DynamoDB.AmazonDynamoDBException`). Whether an SDK v3 client exports a class for the code
 * stands in for "modelled" here; the Cause formats imitate the Java SDKs' messages and are not exact.
 */
function taskErrorOf(err: unknown, spec: SdkService, mod: SdkModule, style: IntegrationStyle): TaskError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
  const code = e.name ?? 'UnknownError';
  const message = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId ?? '';
  const optimized = style === 'optimized' ? spec.optimized : undefined;
  const prefix = optimized?.prefix ?? spec.sdkPrefix;
  if (status === undefined) {
    // No HTTP answer (connection refused, bad parameters caught by the client): the Java SDK's client-side error.
    return new TaskError(`${prefix}.SdkClientException`, message);
  }
  const modelled = typeof mod[code] === 'function';
  if (optimized) {
    const name = modelled ? withExceptionSuffix(code) : optimized.generic;
    return new TaskError(
      `${prefix}.${name}`,
      `${message} (Service: ${optimized.v1Service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`,
    );
  }
  const name = modelled ? withExceptionSuffix(code) : `${spec.sdkPrefix}Exception`;
  const errorCode = modelled ? '' : `, Error Code: ${code}`;
  return new TaskError(
    `${prefix}.${name}`,
    `${message} (Service: ${spec.sdkPrefix}, Status Code: ${status}, Request ID: ${requestId}${errorCode})`,
  );
}

function withExceptionSuffix(code: string): string {
  return code.endsWith('Exception') ? code : `${code}Exception`;
}

/** The SDK's output as the JSON Step Functions passes on: dates as ISO strings, blobs as base64. */
function toJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
  );
}
