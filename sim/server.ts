import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimClock } from './core/clock.js';
import { AwsError } from './core/errors.js';
import { type FaultRule, Faults } from './core/faults.js';
import { forwardRequest } from './core/forward.js';
import { RequestLog } from './core/request-log.js';
import {
  type ActionHandler,
  type RawRequest,
  type RawResponse,
  type RequestContext,
  SIM_ACCOUNT_ID,
  SIM_DEFAULT_REGION,
  type SimService,
} from './core/service.js';
import { ec2Error, ec2Response, parseQueryBody, queryError, queryResponse } from './protocols/query.js';
import { INVOCATION_HEADER } from './services/lambda/service.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface SimServerOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Seed for injected randomness (error rates, latency ranges). */
  seed?: number;
  services: SimService[];
  /**
   * Another AWS-compatible endpoint (LocalStack, moto) that serves these services instead of the
   * sim: their requests are forwarded there, still logged and still subject to injected faults.
   */
  upstream?: { endpoint: string; services: string[] };
}

/** How one request was understood before it is served. */
interface Routed {
  service: SimService;
  action: string;
  params: unknown;
  serve: (ctx: RequestContext) => Promise<RawResponse>;
  fail: (error: AwsError, requestId: string) => RawResponse;
}

/**
 * The simulated account: one HTTP endpoint on loopback that unmodified AWS SDK v3 clients reach
 * through AWS_ENDPOINT_URL, routing each request to a simulated service by its protocol.
 */
export class SimServer {
  readonly clock = new SimClock();
  readonly log = new RequestLog();
  readonly faults: Faults;
  readonly services = new Map<string, SimService>();
  private server?: Server;
  private url?: string;
  private readonly host: string;
  private readonly port: number;
  private readonly upstream?: { endpoint: string; services: Set<string> };
  /** Hooks other parts (control extensions) can add without knowing the server. */
  private readonly controlRoutes = new Map<string, (method: string, subpath: string, body: unknown) => unknown>();

  constructor(options: SimServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    if (options.upstream) {
      const unknown = options.upstream.services.filter((name) => !options.services.some((s) => s.name === name));
      if (unknown.length) throw new Error(`upstream services not known to the sim: ${unknown.join(', ')}`);
      this.upstream = {
        endpoint: new URL(options.upstream.endpoint).href,
        services: new Set(options.upstream.services),
      };
    }
    for (const service of options.services) this.services.set(service.name, service);
    this.faults = new Faults(
      options.seed ?? 1,
      Object.fromEntries([...this.services.values()].map((s) => [s.name, s.throttleError])),
    );
  }

  /** The services forwarded to another endpoint (none unless `upstream` was given). */
  get upstreamServices(): string[] {
    return [...(this.upstream?.services ?? [])];
  }

  get endpoint(): string {
    if (!this.url) throw new Error('the simulated account is not started');
    return this.url;
  }

  /** The environment an AWS SDK or the AWS CLI needs to talk to this account. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: SIM_DEFAULT_REGION,
      AWS_ACCESS_KEY_ID: 'AKIDSIMULATED',
      AWS_SECRET_ACCESS_KEY: 'simulated-secret',
    };
  }

  service<T extends SimService>(name: string): T {
    const service = this.services.get(name);
    if (!service) throw new Error(`the simulated account has no service named ${name}`);
    return service as T;
  }

  addControlRoute(prefix: string, handler: (method: string, subpath: string, body: unknown) => unknown): void {
    this.controlRoutes.set(prefix, handler);
  }

  async start(): Promise<string> {
    for (const service of this.services.values()) await service.start?.();
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // Last line of defence: the server answers and keeps serving whatever a request did.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
    for (const service of this.services.values()) service.attach?.({ endpoint: this.url, clock: this.clock });
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const service of this.services.values()) await service.stop?.();
  }

  /** Back to an empty account at the start of simulated time. */
  async reset(): Promise<void> {
    this.clock.reset();
    this.log.clear();
    this.faults.clear();
    for (const service of this.services.values()) await service.reset();
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries([...this.services.values()].map((s) => [s.name, s.snapshot()]));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    if (body === undefined) {
      return send(res, { status: 413, headers: { 'content-type': 'text/plain' }, body: 'request body too large' });
    }
    if (url.pathname.startsWith('/_sim/')) return send(res, await this.controlRequest(req.method ?? 'GET', url, body));

    const raw: RawRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      headers: req.headers,
      body,
    };
    const requestId = randomUUID();
    let routed: Routed;
    try {
      routed = this.route(raw, url);
    } catch (err) {
      const error = err instanceof AwsError ? err : new AwsError('InvalidRequest', String(err));
      return send(res, routingError(raw, error, requestId));
    }

    const ctx: RequestContext = { requestId, region: regionOf(raw), accountId: SIM_ACCOUNT_ID, clock: this.clock };
    const start = performance.now();
    const invocation = header(raw, INVOCATION_HEADER);
    delete raw.headers[INVOCATION_HEADER];
    const lambda = this.services.get('lambda') as { isTimedOut?(id: string): boolean } | undefined;
    if (invocation && lambda?.isTimedOut?.(invocation)) {
      // Lambda stops a function at its timeout: what the in-process handler still sends never happens.
      this.log.add({
        service: routed.service.name,
        action: routed.action,
        params: routed.params,
        start,
        end: performance.now(),
        outcome: { error: 'Sim.InvocationTimedOut', status: 500 },
        injected: 'dropped',
      });
      res.destroy();
      return;
    }
    const decision = this.faults.decide(
      routed.service.name,
      routed.action,
      start,
      routed.params,
      `${raw.path} ${raw.body.length <= 65_536 ? raw.body.toString('utf8') : ''}`,
    );
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    let response: RawResponse;
    if (decision.error) {
      response = routed.fail(decision.error, requestId);
    } else {
      try {
        response = this.upstream?.services.has(routed.service.name)
          ? await forwardRequest(this.upstream.endpoint, raw).catch((err: unknown) => {
              throw new AwsError(
                'ServiceUnavailable',
                `upstream ${this.upstream?.endpoint} did not answer: ${String(err)}`,
                503,
              );
            })
          : await routed.serve(ctx);
      } catch (err) {
        const error =
          err instanceof AwsError
            ? err
            : new AwsError(
                internalCode(routed.service),
                `simulated ${routed.service.name} failed: ${String(err)}`,
                500,
              );
        if (!(err instanceof AwsError)) console.error(`[sim] ${routed.service.name}:${routed.action} threw`, err);
        response = routed.fail(error, requestId);
      }
    }
    response.headers['x-amzn-requestid'] ??= requestId;
    this.log.add({
      service: routed.service.name,
      action: routed.action,
      params: routed.params,
      start,
      end: performance.now(),
      outcome: response.status < 300 ? 'ok' : { error: errorCodeOf(response), status: response.status },
      ...(decision.injected ? { injected: decision.injected } : {}),
      ...(/\bcgw-drill\b/.test(header(raw, 'x-amz-user-agent') ?? header(raw, 'user-agent') ?? '')
        ? { byDrill: true as const }
        : {}),
    });
    send(res, response);
  }

  private route(raw: RawRequest, url: URL): Routed {
    const target = header(raw, 'x-amz-target');
    if (target) {
      const dot = target.lastIndexOf('.');
      const prefix = target.slice(0, dot);
      const action = target.slice(dot + 1);
      const service = [...this.services.values()].find(
        (s) => (s.protocol === 'json' || s.protocol === 'proxy') && s.targetPrefix === prefix,
      );
      if (!service)
        throw new AwsError('UnknownOperationException', `No simulated service answers X-Amz-Target ${target}`);
      if (service.protocol === 'proxy') {
        return {
          service,
          action,
          params: safeJson(raw.body),
          serve: () => service.forward(raw),
          fail: (error, requestId) => jsonError(error, requestId, '1.0'),
        };
      }
      if (service.protocol !== 'json') throw new AwsError('UnknownOperationException', `Bad target ${target}`);
      const fail = (error: AwsError, requestId: string) => jsonError(error, requestId, service.jsonVersion);
      return {
        service,
        action,
        params: safeJson(raw.body),
        fail,
        serve: async (ctx) => {
          const handler = own(service.actions, action);
          if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${action}`);
          let params: unknown;
          try {
            params = raw.body.length === 0 ? {} : JSON.parse(raw.body.toString('utf8'));
          } catch {
            throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
          }
          if (params === null || typeof params !== 'object' || Array.isArray(params)) {
            throw new AwsError('SerializationException', 'Request body must be a JSON object.');
          }
          const result = await handler(params, ctx);
          return {
            status: 200,
            headers: { 'content-type': `application/x-amz-json-${service.jsonVersion}` },
            body: JSON.stringify(result ?? {}),
          };
        },
      };
    }

    const contentType = header(raw, 'content-type') ?? '';
    if (raw.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
      const parsed = parseQueryBody(raw.body.toString('utf8'));
      const name =
        signingNameOf(raw) ??
        (parsed.version === '2016-11-15' ? 'ec2' : parsed.version === '2010-03-31' ? 'sns' : undefined);
      const service = name ? this.services.get(name) : undefined;
      if (!service || (service.protocol !== 'ec2' && service.protocol !== 'query')) {
        throw new AwsError('InvalidAction', `No simulated query service for ${name ?? 'this request'}`);
      }
      const fail =
        service.protocol === 'ec2'
          ? (error: AwsError, requestId: string) => xml(error.status, ec2Error(error, requestId))
          : (error: AwsError, requestId: string) =>
              xml(error.status, queryError(error, service.xmlNamespace, requestId));
      return {
        service,
        action: parsed.action,
        params: parsed.params,
        fail,
        serve: async (ctx) => {
          const handler = own(service.actions, parsed.action);
          if (!handler)
            throw new AwsError('InvalidAction', `The action ${parsed.action} is not valid for this web service.`);
          const result = await handler(parsed.params, ctx);
          return service.protocol === 'ec2'
            ? xml(200, ec2Response(parsed.action, ctx.requestId, result))
            : xml(200, queryResponse(parsed.action, service.xmlNamespace, ctx.requestId, result));
        },
      };
    }

    for (const service of this.services.values()) {
      if (service.protocol !== 'rest-json') continue;
      for (const route of service.routes) {
        const match = route.method === raw.method ? route.pattern.exec(url.pathname) : null;
        if (!match) continue;
        let bodyJson: unknown = {};
        return {
          service,
          action: route.action,
          params: safeJson(raw.body),
          fail: (error, requestId) => restJsonError(error, requestId),
          serve: async (ctx) => {
            try {
              bodyJson = raw.body.length === 0 ? {} : JSON.parse(raw.body.toString('utf8'));
            } catch {
              throw new AwsError('SerializationException', 'The request body is not valid JSON.');
            }
            const result = await route.handle(match, url.searchParams, bodyJson, ctx, raw.headers);
            const payload = Buffer.isBuffer(result.body) ? result.body : JSON.stringify(result.body ?? {});
            return {
              status: result.status ?? 200,
              headers: { 'content-type': 'application/json', ...result.headers },
              body: payload,
            };
          },
        };
      }
    }
    throw new AwsError('UnknownOperationException', `No simulated service answers ${raw.method} ${url.pathname}`);
  }

  private async controlRequest(method: string, url: URL, body: Buffer): Promise<RawResponse> {
    const ok = (value: unknown) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value ?? null),
    });
    try {
      const input = body.length ? JSON.parse(body.toString('utf8')) : undefined;
      const path = url.pathname.slice('/_sim/'.length);
      if (method === 'GET' && path === 'state') return ok(this.snapshot());
      if (method === 'POST' && path === 'reset') return ok(await this.reset());
      if (method === 'GET' && path === 'clock')
        return ok({ now: this.clock.iso(), followsWallTime: this.clock.followsWallTime });
      if (method === 'POST' && path === 'clock/advance') {
        this.clock.advance(advanceMs(input));
        return ok({ now: this.clock.iso() });
      }
      if (method === 'GET' && path === 'faults') return ok(this.faults.list());
      if (method === 'POST' && path === 'faults') return ok(this.faults.add(input as FaultRule));
      if (method === 'DELETE' && path === 'faults')
        return ok(this.faults.clear(url.searchParams.get('service') ?? undefined));
      if (method === 'GET' && path === 'requests') {
        const since = url.searchParams.get('since');
        const filter = {
          service: url.searchParams.get('service') ?? undefined,
          ...(since ? { since: Number(since) } : {}),
        };
        return ok(url.searchParams.has('summary') ? this.log.summary(filter) : this.log.all(filter));
      }
      const [prefix, ...rest] = path.split('/');
      const extra = prefix ? this.controlRoutes.get(prefix) : undefined;
      if (extra) return ok(await extra(method, rest.join('/'), input));
      const service = prefix ? this.services.get(prefix) : undefined;
      if (service?.control) return ok(await service.control(method, rest.join('/'), input));
      return {
        status: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: `no control route ${method} /_sim/${path}` }),
      };
    } catch (err) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: err instanceof Error ? err.message : String(err) }),
      };
    }
  }
}

/** The body of POST /_sim/clock/advance: `{"ms": 90000}` or `{"seconds": 90}`. */
function advanceMs(input: unknown): number {
  const body = (input ?? {}) as { ms?: unknown; seconds?: unknown };
  const ms = body.ms !== undefined ? body.ms : typeof body.seconds === 'number' ? body.seconds * 1000 : undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new Error(
      'POST /_sim/clock/advance needs a JSON body {"ms": <milliseconds>} or {"seconds": <seconds>}, a non-negative number',
    );
  }
  return ms;
}

function own(actions: Record<string, ActionHandler>, action: string): ActionHandler | undefined {
  return Object.hasOwn(actions, action) ? actions[action] : undefined;
}

function header(raw: RawRequest, name: string): string | undefined {
  const value = raw.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** SigV4's credential scope names the region and the signing service. */
function credentialScope(raw: RawRequest): { region: string; service: string } | undefined {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header(raw, 'authorization') ?? '');
  return match ? { region: match[1]!, service: match[2]! } : undefined;
}

function regionOf(raw: RawRequest): string {
  return credentialScope(raw)?.region ?? SIM_DEFAULT_REGION;
}

function signingNameOf(raw: RawRequest): string | undefined {
  return credentialScope(raw)?.service;
}

function internalCode(service: SimService): string {
  return service.protocol === 'ec2' ? 'InternalError' : 'InternalFailure';
}

function routingError(raw: RawRequest, error: AwsError, requestId: string): RawResponse {
  if (header(raw, 'x-amz-target')) return jsonError(error, requestId, '1.1');
  if ((header(raw, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    return xml(error.status, ec2Error(error, requestId));
  }
  return restJsonError(error, requestId);
}

function jsonError(error: AwsError, requestId: string, version: '1.0' | '1.1'): RawResponse {
  return {
    status: error.status,
    headers: {
      'content-type': `application/x-amz-json-${version}`,
      'x-amzn-errortype': error.code,
      'x-amzn-requestid': requestId,
    },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

function restJsonError(error: AwsError, requestId: string): RawResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ message: error.message, Message: error.message }),
  };
}

function xml(status: number, body: string): RawResponse {
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body };
}

function errorCodeOf(response: RawResponse): string {
  const text = response.body.toString();
  const xmlCode = /<Code>([^<]+)<\/Code>/.exec(text);
  if (xmlCode) return xmlCode[1]!;
  return response.headers['x-amzn-errortype'] ?? safeJsonField(text, '__type') ?? `HTTP${response.status}`;
}

function safeJson(body: Buffer): unknown {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return body.toString('utf8').slice(0, 2000);
  }
}

function safeJsonField(text: string, field: string): string | undefined {
  try {
    const value = JSON.parse(text)?.[field];
    return typeof value === 'string' ? value.replace(/^.*#/, '') : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, response: RawResponse): void {
  // No Date header: handlers live on simulated time and the drill on real time, and the SDK would
  // take the difference for clock skew (retrying the first error of every client once).
  res.sendDate = false;
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}
