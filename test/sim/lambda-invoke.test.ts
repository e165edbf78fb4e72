import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSim } from '../../sim/index.js';
import type { SimServer } from '../../sim/server.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';

class GatewayUnhealthyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayUnhealthyError';
  }
}

const decode = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('LambdaService', () => {
  let sim: SimServer;
  let lambda: LambdaService;
  let client: LambdaClient;

  beforeAll(async () => {
    sim = await startSim();
    client = new LambdaClient({ endpoint: sim.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    lambda = sim.service<LambdaService>('lambda');
  });

  it('starts the timeout after the Init of a new environment, which Lambda limits separately', async () => {
    // Prepare: an Init (import and configuration) longer than the function's 1 s timeout
    let inits = 0;
    lambda.register({
      name: 'slow-init',
      timeoutSec: 1,
      handler: {
        take: async () => {
          inits++;
          await sleep(1_500);
          return async () => 'after init';
        },
        give: () => undefined,
      },
    });

    // Act
    const out = await client.send(new InvokeCommand({ FunctionName: 'slow-init', Payload: encode({}) }));

    // Assess
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toBe('after init');
    expect(inits).toBe(1);
  });

  it('invokes a registered handler by name and by ARN with a Lambda-like context', async () => {
    // Prepare
    const arn = lambda.register({
      name: 'echo',
      memoryMb: 256,
      handler: async (event, context) => ({
        event,
        functionName: context.functionName,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        awsRequestId: context.awsRequestId,
        logGroupName: context.logGroupName,
        remaining: context.getRemainingTimeInMillis(),
      }),
    });

    // Act
    const byName = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: encode({ a: 1 }) }));
    const byArn = await client.send(new InvokeCommand({ FunctionName: arn, Payload: encode([1, 2]) }));

    // Assess
    expect(arn).toBe('arn:aws:lambda:eu-west-2:123456789012:function:echo');
    expect(byName.StatusCode).toBe(200);
    expect(byName.FunctionError).toBeUndefined();
    expect(byName.ExecutedVersion).toBe('$LATEST');
    const answer = decode(byName.Payload);
    expect(answer).toMatchObject({
      event: { a: 1 },
      functionName: 'echo',
      invokedFunctionArn: arn,
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/echo',
    });
    expect(answer.remaining).toBeGreaterThan(2000);
    expect(answer.remaining).toBeLessThanOrEqual(3000);
    expect(decode(byArn.Payload).event).toEqual([1, 2]);
    expect(lambda.invocations.map((i) => [i.functionName, i.requestId])).toEqual([
      ['echo', answer.awsRequestId],
      ['echo', expect.any(String)],
    ]);
  });

  it('answers ResourceNotFoundException (404) for an unknown function', async () => {
    // Act
    const attempt = client.send(new InvokeCommand({ FunctionName: 'missing', Payload: encode({}) }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await expect(lambda.invoke('missing', {})).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });

  it('reports a thrown error as an Unhandled function error named by the error name', async () => {
    // Prepare
    lambda.register({
      name: 'failing',
      handler: async () => {
        throw new GatewayUnhealthyError('no healthy gateway in group vpn-a');
      },
    });

    // Act
    const answer = await client.send(new InvokeCommand({ FunctionName: 'failing', Payload: encode({}) }));

    // Assess
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe('Unhandled');
    const body = decode(answer.Payload);
    expect(body).toMatchObject({
      errorType: 'GatewayUnhealthyError',
      errorMessage: 'no healthy gateway in group vpn-a',
    });
    expect(body.trace[0]).toContain('GatewayUnhealthyError');
    expect(lambda.invocations[0]?.outcome).toMatchObject({ error: { errorType: 'GatewayUnhealthyError' } });
  });

  it('reports a handler that runs past its timeout as Sandbox.Timedout', async () => {
    // Prepare
    lambda.register({ name: 'slow', timeoutSec: 0.05, handler: () => sleep(1000) });

    // Act
    const result = await lambda.invoke('slow', {});

    // Assess
    expect(result.functionError).toBe('Unhandled');
    expect(result.payload).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('0.05'),
    });
  });

  it('answers an Event invocation with 202 before the handler finishes, and a DryRun with 204 without running it', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    lambda.register({ name: 'queued', handler: () => gate.then(() => 'done') });

    // Act
    const event = await client.send(
      new InvokeCommand({ FunctionName: 'queued', InvocationType: 'Event', Payload: encode({}) }),
    );
    const dryRun = await client.send(
      new InvokeCommand({ FunctionName: 'queued', InvocationType: 'DryRun', Payload: encode({}) }),
    );
    const recordedBeforeRelease = lambda.invocations.length;
    release();
    for (const deadline = Date.now() + 60_000; lambda.invocations.length === 0 && Date.now() < deadline; ) {
      await sleep(5);
    }

    // Assess
    expect(event.StatusCode).toBe(202);
    expect(dryRun.StatusCode).toBe(204);
    expect(recordedBeforeRelease).toBe(0);
    expect(lambda.invocations).toHaveLength(1);
    expect(lambda.invocations[0]).toMatchObject({ invocationType: 'Event', outcome: { result: 'done' } });
  });
});
