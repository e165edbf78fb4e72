import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/** A fresh copy of commons/powertools.ts, as a new execution environment would import it. */
async function freshPowertools() {
  vi.resetModules();
  return import('../../functions/commons/powertools.js');
}

describe('Tracer in commons/powertools', () => {
  // A stand-in EC2 endpoint: the call must reach it through the captured client's middleware.
  let server: Server;
  let endpoint: string;
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.headers['user-agent'] ?? '');
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>',
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    requests.length = 0;
  });

  const client = () =>
    new EC2Client({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

  it('is off outside Lambda and leaves a client exactly as it was', async () => {
    // Prepare
    vi.stubEnv('AWS_EXECUTION_ENV', '');
    const { tracer, traced } = await freshPowertools();
    const ec2 = client();
    const before = ec2.middlewareStack.identify();

    // Act
    const same = traced(ec2);

    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(same).toBe(ec2);
    expect(ec2.middlewareStack.identify()).toEqual(before);
  });

  it('is off in Lambda when POWERTOOLS_TRACE_ENABLED is false', async () => {
    // Prepare
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');

    // Act
    const { tracer } = await freshPowertools();

    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
  });

  it('captures the client in a Lambda environment and lets calls through silently when there is no trace', async () => {
    // Prepare: a Lambda environment without _X_AMZN_TRACE_ID, as the simulated Lambda runs functions.
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('_X_AMZN_TRACE_ID', '');
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const { tracer, traced, instrumented } = await freshPowertools();
    const ec2 = traced(client());
    const handler = instrumented({ group: () => 'vendor-vpn' }, async () => ec2.send(new DescribeInstancesCommand({})));

    // Act
    const result = await handler({ logContext: { executionId: 'arn:exec', state: 'Decide' } });

    // Assess
    expect(tracer.isTracingEnabled()).toBe(true);
    expect(ec2.middlewareStack.identify().some((m) => /xray/i.test(m))).toBe(true);
    expect(result.Reservations).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('takes the step context off the event before the handler sees it', async () => {
    // Prepare
    const { instrumented } = await freshPowertools();
    const seen: unknown[] = [];
    const handler = instrumented({ group: () => 'vendor-vpn' }, async (event: unknown) => {
      seen.push(event);
      return null;
    });

    // Act
    await handler({ logContext: { executionId: 'arn:exec', state: 'Decide' }, request: { dryRun: true } });

    // Assess
    expect(seen).toEqual([{ request: { dryRun: true } }]);
  });
});
