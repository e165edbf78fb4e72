import type { SimClock } from './clock.js';

export const SIM_ACCOUNT_ID = '123456789012';
export const SIM_DEFAULT_REGION = 'eu-west-2';

/** What an action handler knows of the request it serves. */
export interface RequestContext {
  requestId: string;
  region: string;
  accountId: string;
  clock: SimClock;
}

// biome-ignore lint/suspicious/noExplicitAny: params arrive as parsed wire data and are validated by each action
export type ActionHandler = (params: any, ctx: RequestContext) => unknown | Promise<unknown>;

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

interface ServiceBase {
  /** Name as the request log and fault rules know it: the SigV4 signing name (ec2, route53resolver, ...). */
  name: string;
  /** Error answered when a throttle bucket is empty. */
  throttleError: { code: string; status: number };
  /** Drops all state. */
  reset(): void | Promise<void>;
  /** A JSON view of the state for the control API and drill expectations. */
  snapshot(): unknown;
  /** Extra control routes under /_sim/<name>/..., for scenarios that change the world directly. */
  control?(method: string, subpath: string, body: unknown): unknown | Promise<unknown>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Called once the endpoint listens, for services that call the account themselves (Step Functions tasks). */
  attach?(server: AttachedServer): void;
}

/** What a service may hold on to from the server that serves it. */
export interface AttachedServer {
  endpoint: string;
  clock: SimClock;
}

/** EC2's query protocol: form body in, EC2-shaped XML out. */
export interface Ec2QueryService extends ServiceBase {
  protocol: 'ec2';
  actions: Record<string, ActionHandler>;
}

/** awsQuery (SNS): form body in, `<ActionResult>` XML out. */
export interface AwsQueryService extends ServiceBase {
  protocol: 'query';
  xmlNamespace: string;
  actions: Record<string, ActionHandler>;
}

/** awsJson1_0 / awsJson1_1: X-Amz-Target selects the action. */
export interface JsonService extends ServiceBase {
  protocol: 'json';
  targetPrefix: string;
  jsonVersion: '1.0' | '1.1';
  actions: Record<string, ActionHandler>;
}

/** restJson1: method and path select the action. */
export interface RestJsonRoute {
  method: string;
  pattern: RegExp;
  action: string;
  /** Builds the action params from the path's groups, query and JSON body. */
  handle(
    match: RegExpExecArray,
    query: URLSearchParams,
    body: unknown,
    ctx: RequestContext,
    headers: RawRequest['headers'],
  ):
    | Promise<{ status?: number; body: unknown; headers?: Record<string, string> }>
    | { status?: number; body: unknown; headers?: Record<string, string> };
}

export interface RestJsonService extends ServiceBase {
  protocol: 'rest-json';
  routes: RestJsonRoute[];
}

/** A service served by another local server (dynalite for DynamoDB): requests are forwarded as they are. */
export interface ProxyService extends ServiceBase {
  protocol: 'proxy';
  targetPrefix: string;
  forward(request: RawRequest): Promise<RawResponse>;
}

export type SimService = Ec2QueryService | AwsQueryService | JsonService | RestJsonService | ProxyService;
