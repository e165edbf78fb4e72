import { AwsError } from './errors.js';

/** Latency to add to matching requests: a fixed value or a uniform range, in wall-clock ms. */
export type Latency = number | { min: number; max: number };

export interface FaultRule {
  /** Service name as the sim knows it (ec2, route53resolver, dynamodb, sns, events, ...). */
  service: string;
  /** One action, or every action of the service when absent. */
  action?: string;
  latencyMs?: Latency;
  /** Fraction of matching requests, 0..1, answered with errorCode instead of being served. */
  errorRate?: number;
  errorCode?: string;
  errorStatus?: number;
  /** Requests after which the rule stops matching (e.g. 1 to fail only the next call). */
  times?: number;
  /**
   * Matching requests let through before the rule starts to apply: a fault in the middle of an
   * execution (say the verification read after the routes were replaced).
   */
  afterCalls?: number;
  /** Only requests whose target (path, function name) or body contains this text, e.g. a Lambda function's name. */
  match?: string;
}

export interface ThrottleBucket {
  capacity: number;
  refillPerSecond: number;
}

export interface ThrottlePolicy {
  service: string;
  /** Per-action bucket sizes; the key is a bucket name, chosen per action by bucketOf. */
  buckets: Record<string, ThrottleBucket>;
  /** params are the request's parsed params, for policies whose bucket depends on them (EC2's unfiltered describes). */
  bucketOf: (action: string, params?: unknown) => string | undefined;
}

interface LiveBucket extends ThrottleBucket {
  tokens: number;
  updated: number;
}

export interface FaultDecision {
  latencyMs: number;
  error?: AwsError;
  injected?: 'error' | 'throttle';
}

/** A small seeded generator, so a fault pattern can be replayed exactly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fault injection per service and action: latency, error rates and token-bucket throttling.
 * Buckets refill on wall-clock time because the SDK's retry backoff is wall-clock time.
 */
export class Faults {
  private rules: (FaultRule & { used: number; seen: number })[] = [];
  private throttles = new Map<string, { policy: ThrottlePolicy; live: Map<string, LiveBucket> }>();
  private random: () => number;

  constructor(
    seed = 1,
    private readonly throttleErrors: Record<string, { code: string; status: number }> = {},
  ) {
    this.random = mulberry32(seed);
  }

  seed(seed: number): void {
    this.random = mulberry32(seed);
  }

  add(rule: FaultRule): void {
    validateRule(rule);
    this.rules.push({ ...rule, used: 0, seen: 0 });
  }

  /** Switches token-bucket throttling on for a service. */
  throttle(policy: ThrottlePolicy): void {
    this.throttles.set(policy.service, { policy, live: new Map() });
  }

  clear(service?: string): void {
    this.rules = service ? this.rules.filter((r) => r.service !== service) : [];
    if (service) this.throttles.delete(service);
    else this.throttles.clear();
  }

  list(): { rules: FaultRule[]; throttled: string[] } {
    return { rules: this.rules.map(({ used: _used, seen: _seen, ...r }) => r), throttled: [...this.throttles.keys()] };
  }

  /** `text` is what `match` looks in: the request's path and body. */
  decide(service: string, action: string, nowMs: number, params?: unknown, text = ''): FaultDecision {
    let latencyMs = 0;
    for (const rule of this.rules) {
      if (rule.service !== service || (rule.action && rule.action !== action)) continue;
      if (rule.match !== undefined && !text.includes(rule.match)) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.afterCalls !== undefined && rule.seen < rule.afterCalls) {
        rule.seen++;
        continue;
      }
      rule.used++;
      if (rule.latencyMs !== undefined) latencyMs += this.pickLatency(rule.latencyMs);
      if (rule.errorRate !== undefined && this.random() < rule.errorRate) {
        const code = rule.errorCode ?? 'InternalError';
        return {
          latencyMs,
          error: new AwsError(code, `Injected fault: ${code}`, rule.errorStatus ?? statusFor(code)),
          injected: 'error',
        };
      }
    }
    const throttle = this.throttles.get(service);
    if (throttle) {
      const bucketName = throttle.policy.bucketOf(action, params);
      const spec = bucketName ? throttle.policy.buckets[bucketName] : undefined;
      if (bucketName && spec) {
        let bucket = throttle.live.get(bucketName);
        if (!bucket) {
          bucket = { ...spec, tokens: spec.capacity, updated: nowMs };
          throttle.live.set(bucketName, bucket);
        }
        bucket.tokens = Math.min(
          bucket.capacity,
          bucket.tokens + ((nowMs - bucket.updated) / 1000) * bucket.refillPerSecond,
        );
        bucket.updated = nowMs;
        if (bucket.tokens < 1) {
          const err = this.throttleErrors[service] ?? { code: 'ThrottlingException', status: 400 };
          return {
            latencyMs,
            error: new AwsError(err.code, 'Request limit exceeded.', err.status),
            injected: 'throttle',
          };
        }
        bucket.tokens -= 1;
      }
    }
    return { latencyMs };
  }

  private pickLatency(latency: Latency): number {
    if (typeof latency === 'number') return latency;
    return latency.min + this.random() * (latency.max - latency.min);
  }
}

function statusFor(code: string): number {
  if (/^(InternalError|InternalFailure|InternalServerError|ServiceUnavailable|Unavailable)$/.test(code)) return 500;
  if (code === 'RequestLimitExceeded') return 503;
  return 400;
}

function validateRule(rule: FaultRule): void {
  if (typeof rule.service !== 'string' || rule.service === '')
    throw new TypeError('fault.service must be a service name');
  if (rule.errorRate !== undefined && !(rule.errorRate >= 0 && rule.errorRate <= 1)) {
    throw new RangeError(`fault.errorRate must be between 0 and 1, got ${rule.errorRate}`);
  }
  const latencies =
    typeof rule.latencyMs === 'object' ? [rule.latencyMs.min, rule.latencyMs.max] : [rule.latencyMs ?? 0];
  if (latencies.some((l) => !(Number.isFinite(l) && l >= 0)))
    throw new RangeError('fault.latencyMs must be non-negative');
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new RangeError('fault.times must be a positive integer');
  }
  if (rule.afterCalls !== undefined && !(Number.isInteger(rule.afterCalls) && rule.afterCalls >= 0)) {
    throw new RangeError('fault.afterCalls must be a whole number of calls');
  }
  if (rule.match !== undefined && (typeof rule.match !== 'string' || rule.match === '')) {
    throw new TypeError('fault.match must be a non-empty text');
  }
}
