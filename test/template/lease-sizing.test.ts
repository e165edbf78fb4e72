import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RESOLVER_LEASE_SECONDS,
  type RetryPolicy,
  ROUTE_LEASE_RENEW_SECONDS,
  taskWorstCaseSeconds,
} from '../../functions/core/lease.js';
import { APPLY_MAX_RETRY_DELAY_SECONDS } from '../../functions/core/routes/apply-rounds.js';
import { readCfnTemplate } from '../../sim/deploy/cfn-yaml.js';

const root = resolve(import.meta.dirname, '../..');
const template = readCfnTemplate(resolve(root, 'template.yaml')) as {
  Globals: { Function: { Timeout: number } };
  Resources: Record<string, { Properties?: { Timeout?: number } }>;
};
const asl = (file: string) => JSON.parse(readFileSync(resolve(root, 'statemachines', file), 'utf8'));
const timeout = (fn: string) => template.Resources[fn]?.Properties?.Timeout ?? template.Globals.Function.Timeout;
/** The retrier of a state that handles the errors a function's slowness raises (RetryableAwsError and Lambda's own). */
const retryOf = (state: { Retry?: (RetryPolicy & { ErrorEquals: string[] })[] }) =>
  state.Retry?.find((r) => r.ErrorEquals.includes('RetryableAwsError'));

// A lease must outlive the longest silence of a run that is still alive, or another run takes it while
// this one can still write. These read the numbers from the ASL and the template, so a change to a
// Retry field or a function timeout that outgrows a lease fails here.
describe('lease sizing', () => {
  it('computes a Task state worst case from its timeout and Retry', () => {
    // 3 attempts of 10 s after the first, waits 2 + 4 + 5 (capped)
    expect(taskWorstCaseSeconds(10, { IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5 })).toBe(
      51,
    );
    expect(taskWorstCaseSeconds(30)).toBe(30);
  });

  it('route lease: renewed before each batch of writes, outlasts an apply attempt and a wait, then the whole Report state', () => {
    // Prepare
    const states = asl('route-reconciler.asl.json').States;
    const attempt = timeout('RouteApplyFunction');

    // Act: between two renewals, one attempt hanging to its timeout, then the longest wait before the
    // next attempt (the Task's own Retry, or the Wait before ApplyAgain, which the function caps).
    const longestWait = Math.max(
      retryOf(states.Apply)?.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
      retryOf(states.ApplyAgain)?.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
      APPLY_MAX_RETRY_DELAY_SECONDS,
    );
    const betweenAttempts = attempt + longestWait;
    const untilSaved = attempt + taskWorstCaseSeconds(timeout('RouteReportFunction'), retryOf(states.Report));

    // Assess
    expect(states.WaitToRetry.SecondsPath).toBe('$.apply.retryInSeconds');
    expect(ROUTE_LEASE_RENEW_SECONDS).toBeGreaterThan(betweenAttempts);
    expect(ROUTE_LEASE_RENEW_SECONDS).toBeGreaterThan(untilSaved);
  });

  it('resolver lease: outlasts a call hanging to the Apply timeout, then the whole Report state', () => {
    // Prepare
    const states = asl('resolver-reconciler.asl.json').States;

    // Act
    const decideThenFirstCall = taskWorstCaseSeconds(timeout('ResolverDecideFunction'));
    const untilSaved =
      timeout('ResolverApplyFunction') +
      taskWorstCaseSeconds(timeout('ResolverReportFunction'), retryOf(states.Report));

    // Assess
    expect(RESOLVER_LEASE_SECONDS).toBeGreaterThan(decideThenFirstCall);
    expect(RESOLVER_LEASE_SECONDS).toBeGreaterThan(untilSaved);
  });
});
