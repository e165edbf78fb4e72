// Error names are load-bearing: the ASL's Retry and Catch match on them, and minifiers rename classes.

/** Another execution holds the group's lease; the ASL retries, then ends the run cleanly. */
export class LeaseHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseHeldError';
  }
}

/**
 * This run no longer holds the group's lease: another execution took it. The run must stop writing;
 * the ASL does not retry it, so each remaining action is reported failed with this error.
 */
export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

/**
 * An AWS call failed in a way that may pass (throttling, 5xx, timeout) after the SDK's own retries.
 *
 * Who retries what, one owner per failure class:
 * - one call's throttling, 5xx, timeout or dropped connection: the SDK's standard retry strategy
 *   (maxAttempts 4, commons/clients.ts), within the invocation. No handler or adapter tries such a
 *   call again itself;
 * - the same failure outlasting the SDK: this error, for the ASL's Retry of the state (seconds to
 *   minutes, beyond what one invocation may wait), which also owns the Lambda service's own faults
 *   (Lambda.TooManyRequestsException, Lambda.ServiceException, ...);
 * - another execution holding the lease: LeaseHeldError, the ASL's Retry of Decide;
 * - a rule delete refused while its disassociation finishes: the apply loop (adapters/resolver-rules.ts);
 * - a conditional write lost to another probe run: the probe's record loop;
 * - a lost DNS answer: the lookup's own tries (adapters/dns-resolver.ts).
 */
export class RetryableAwsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryableAwsError';
  }
}

/** An action failed for good (the request itself is wrong or the resource is gone). */
export class ActionFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ActionFailedError';
  }
}

const RETRYABLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'TimeoutError',
]);

/** True for errors worth retrying: throttling, server faults, timeouts and dropped connections. */
export function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (RETRYABLE_CODES.has(e.name ?? '') || RETRYABLE_CODES.has(e.code ?? '')) return true;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '');
}

/** Re-throws an AWS error as RetryableAwsError or ActionFailedError, naming what was being done. */
export function classifyAwsError(err: unknown, doing: string): never {
  const name = (err as { name?: string }).name ?? 'Error';
  const message = `${doing}: ${name}: ${(err as Error).message ?? String(err)}`;
  if (isRetryable(err)) throw new RetryableAwsError(message, { cause: err });
  throw new ActionFailedError(message, { cause: err });
}
