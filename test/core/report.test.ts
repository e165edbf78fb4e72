import { describe, expect, it } from 'vitest';
import {
  causeMessage,
  headline,
  type RunFacts,
  runCause,
  runResult,
  worthTelling,
} from '../../functions/core/report.js';

const plain: RunFacts = {
  failed: false,
  dryRun: false,
  blocked: false,
  leaseLost: false,
  verification: { converged: true },
  actionsFailed: 0,
  changed: true,
};

describe('runResult', () => {
  it.each([
    [{ failed: true, dryRun: true }, 'failed'],
    [{ dryRun: true, blocked: true }, 'dry-run'],
    [{ blocked: true, leaseLost: true }, 'blocked'],
    [{ leaseLost: true, refusal: 'refused' as const }, 'lease-lost'],
    [{ refusal: 'no-healthy-member' as const, verification: { converged: null } }, 'no-healthy-member'],
    [{ verification: { converged: null }, actionsFailed: 1 }, 'unverified'],
    [{ deferred: 3 }, 'continuing'],
    [{ deferred: 3, actionsFailed: 1 }, 'partial'],
    [{ verification: { converged: false }, degraded: true }, 'partial'],
    [{ degraded: true }, 'degraded'],
    [{}, 'converged'],
    [{ changed: false, verification: null }, 'no-change'],
  ])('judges %o as %s, the first that applies in the order a person reads', (facts, result) => {
    // Act
    const judged = runResult({ ...plain, ...facts });

    // Assess
    expect(judged).toBe(result);
  });
});

describe('worthTelling', () => {
  it.each([
    ['converged', { applied: 2, failed: 0, dryRun: false }, true],
    ['no-change', { applied: 0, failed: 0, dryRun: false }, false],
    ['degraded', { applied: 0, failed: 0, dryRun: false }, true],
    ['no-healthy-member', { applied: 0, failed: 0, dryRun: false }, true],
    ['failed', { applied: 0, failed: 0, dryRun: true }, false],
  ] as const)('tells of a %s run %o: %s', (result, run, told) => {
    // Act
    const worth = worthTelling(result, run);

    // Assess
    expect(worth).toBe(told);
  });
});

describe('headline', () => {
  it('heads with a path switch unless the run failed, with a gateway switch only for a plain run', () => {
    // Act
    const path = headline('partial', 2, { path: 'routes gateway -> tgw-1 (failback)' });
    const failedPath = headline('failed', 1, { path: 'routes gateway -> tgw-1 (failback)' });
    const gateway = headline('converged', 3, { gateway: 'active gateway i-a -> i-b' });
    const blockedGateway = headline('blocked', 0, { gateway: 'active gateway i-a -> i-b' });

    // Assess
    expect(path).toBe('routes gateway -> tgw-1 (failback), 2 changes');
    expect(failedPath).toBe('reconciliation failed after 1 changes');
    expect(gateway).toBe('active gateway i-a -> i-b, 3 changes');
    expect(blockedGateway).toBe('plan blocked by the change limit, manual override needed');
  });
});

describe('runCause', () => {
  it("names the failure's message and every applied action, and nothing for a run that did not fail", () => {
    // Prepare
    const failure = { Error: 'States.Timeout', Cause: JSON.stringify({ errorMessage: 'Apply timed out' }) };

    // Act
    const cause = runCause('failed', { failure, leaseLost: 'lost' }, 1, 3, ['create-route rtb-1 10.0.0.0/16']);
    const lost = runCause('lease-lost', { leaseLost: 'another run took the lease' }, 0, 2, []);
    const none = runCause('partial', { failure, leaseLost: 'lost' }, 1, 3, []);

    // Assess
    expect(cause).toBe('States.Timeout: Apply timed out. Applied 1 of 3 actions: create-route rtb-1 10.0.0.0/16');
    expect(lost).toBe('another run took the lease. Applied 0 of 2 actions');
    expect(none).toBeUndefined();
    expect(causeMessage('not json')).toBe('not json');
  });
});
