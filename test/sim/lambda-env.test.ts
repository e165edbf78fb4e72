import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../sim/index.js';
import type { SimServer } from '../../sim/server.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';

describe('LambdaService environment variables', () => {
  let sim: SimServer;
  let lambda: LambdaService;

  beforeAll(async () => {
    sim = await startSim();
    lambda = sim.service<LambdaService>('lambda');
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('shows each function only its own variables while invocations of two functions overlap', async () => {
    // Prepare: each handler reads its variable before and after yielding to the other one.
    const readTwice = async () => {
      const before = process.env.TABLE_NAME;
      await sleep(20);
      process.env.SCRATCH = `written by ${process.env.AWS_LAMBDA_FUNCTION_NAME}`;
      await sleep(20);
      return { before, after: process.env.TABLE_NAME, scratch: process.env.SCRATCH };
    };
    lambda.register({ name: 'routes', environment: { TABLE_NAME: 'routes-table' }, handler: readTwice });
    lambda.register({ name: 'rules', environment: { TABLE_NAME: 'rules-table' }, handler: readTwice });

    // Act
    const [routes, rules] = await Promise.all([lambda.invoke('routes', {}), lambda.invoke('rules', {})]);

    // Assess
    expect(routes.payload).toEqual({ before: 'routes-table', after: 'routes-table', scratch: 'written by routes' });
    expect(rules.payload).toEqual({ before: 'rules-table', after: 'rules-table', scratch: 'written by rules' });
    expect(process.env.TABLE_NAME).toBeUndefined();
    expect(process.env.SCRATCH).toBeUndefined();
  });

  it("hides the host's variables from functions and leaves them readable and writable outside invocations", async () => {
    // Prepare
    lambda.register({ name: 'reader', handler: async () => process.env.OUTSIDE_ONLY ?? null });

    // Act
    process.env.OUTSIDE_ONLY = 'visible';
    const seenInside = await lambda.invoke('reader', {});
    const keys = Object.keys(process.env);
    delete process.env.OUTSIDE_ONLY;

    // Assess
    expect(seenInside.payload).toBeNull();
    expect(keys).toContain('OUTSIDE_ONLY');
    expect(process.env.OUTSIDE_ONLY).toBeUndefined();
    expect(process.env.AWS_REGION).toBe('eu-west-2');
  });

  it('sets the runtime variables Powertools reads: an on-demand Lambda execution environment without X-Ray', async () => {
    // Prepare
    const read = [
      'AWS_EXECUTION_ENV',
      'AWS_LAMBDA_INITIALIZATION_TYPE',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_XRAY_CONTEXT_MISSING',
      'AWS_XRAY_MANUAL_MODE',
      '_X_AMZN_TRACE_ID',
    ] as const;
    lambda.register({
      name: 'powertools-reader',
      handler: async () => Object.fromEntries(read.map((key) => [key, process.env[key] ?? null])),
    });

    // Act
    const { payload } = await lambda.invoke('powertools-reader', {});

    // Assess
    expect(payload).toEqual({
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_FUNCTION_NAME: 'powertools-reader',
      // No X-Ray in the sim: no trace header, and a missing segment is not an error.
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      // All environments share the sim's process: the X-Ray SDK must not install an async hook per cold start.
      AWS_XRAY_MANUAL_MODE: 'true',
      _X_AMZN_TRACE_ID: null,
    });
  });
});
