import { CreateRouteCommand, DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ec2ThrottlePolicy } from '../../sim/services/ec2/index.js';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

async function post(endpoint: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, text: await response.text() };
}

describe('simulated EC2 protocol, throttling and control API', () => {
  let f: Ec2Fixture;

  beforeAll(async () => {
    f = await startEc2();
  });
  afterAll(async () => {
    await f.sim.stop();
  });
  afterEach(async () => {
    await f.sim.reset();
  });

  it('answers MissingParameter, InvalidAction and InvalidParameterValue in the EC2 error shape', async () => {
    // Act
    const missingParam = await failure(
      f.ec2.send(new CreateRouteCommand({ RouteTableId: undefined as unknown as string })),
    );
    const unknown = await post(f.sim.endpoint, 'Action=LaunchRockets&Version=2016-11-15');
    const { vpcId } = await createNetwork(f.ec2);
    const rtb = (await f.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
      .RouteTables![0]!.RouteTableId!;
    const badCidr = await failure(
      f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.0.0.1/33', GatewayId: 'igw-1' }),
      ),
    );
    const hostBits = await failure(
      f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.1/16', GatewayId: 'igw-1' }),
      ),
    );

    // Assess
    expect(missingParam.name).toBe('MissingParameter');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('<Code>InvalidAction</Code>');
    expect(badCidr.name).toBe('InvalidParameterValue');
    expect(hostBits.name).toBe('InvalidParameterValue');
  });

  it('answers garbage with EC2 errors and keeps serving', async () => {
    // Prepare
    const garbage = [
      'Action=DescribeRouteTables&Version=2016-11-15&Filter=oops',
      'Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value=notalist',
      'Action=DescribeInstances&Version=2016-11-15&InstanceId.1.x=1',
      'Action=CreateRoute&Version=2016-11-15&RouteTableId.1=x',
      'Action=RunInstances&Version=2016-11-15&MinCount=lots&MaxCount=1&ImageId=ami-12345678',
      'Action=DescribeInstances&Version=2016-11-15&MaxResults=abc',
      'Action=CreateTags&Version=2016-11-15&ResourceId.1=vpc-1&Tag.1.Key=aws:reserved&Tag.1.Value=x',
      '%%%&&&===',
      'Version=2016-11-15',
      'Action=DescribeVpcs&Version=2016-11-15&Filter..Name=x',
    ];

    // Act
    const answers = [];
    for (const body of garbage) answers.push(await post(f.sim.endpoint, body));
    const stillServing = await f.ec2.send(new DescribeVpcsCommand({}));

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.text).toMatch(/<Response><Errors><Error><Code>[A-Za-z.]+<\/Code>/);
    }
    expect(stillServing.Vpcs).toEqual([]);
  });

  // The bucket refills on wall-clock time (tested at fixed instants in core.test.ts): here it refills too
  // slowly for any machine to see a token come back, and the retry meets a refusal that happens once.
  it('throttles with RequestLimitExceeded (503) and the SDK retries until it succeeds', async () => {
    // Prepare
    const { vpcId } = await createNetwork(f.ec2);
    const retrying = new EC2Client({
      endpoint: f.sim.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
      maxAttempts: 5,
    });
    f.sim.faults.throttle({
      ...ec2ThrottlePolicy,
      buckets: { ...ec2ThrottlePolicy.buckets, DescribeRouteTables: { capacity: 1, refillPerSecond: 0.001 } },
    });
    await f.ec2.send(new DescribeRouteTablesCommand({}));

    // Act
    const refused = await failure(f.ec2.send(new DescribeRouteTablesCommand({})));
    f.sim.faults.clear('ec2');
    f.sim.faults.add({
      service: 'ec2',
      action: 'DescribeRouteTables',
      errorRate: 1,
      errorCode: 'RequestLimitExceeded',
      times: 1,
    });
    const retried = await retrying.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );

    // Assess
    expect(refused.name).toBe('RequestLimitExceeded');
    expect(refused.$metadata?.httpStatusCode).toBe(503);
    expect(retried.$metadata.attempts).toBe(2);
    expect(retried.RouteTables).toHaveLength(1);
  });

  it('uses the documented bucket sizes, with the smaller bucket for unfiltered unpaginated DescribeInstances', () => {
    // Act
    const unfiltered = ec2ThrottlePolicy.bucketOf('DescribeInstances', {});
    const filtered = ec2ThrottlePolicy.bucketOf('DescribeInstances', { Filter: [{ Name: 'x', Value: ['y'] }] });
    const paged = ec2ThrottlePolicy.bucketOf('DescribeInstances', { MaxResults: '5' });

    // Assess
    expect(ec2ThrottlePolicy.buckets[unfiltered!]).toEqual({ capacity: 50, refillPerSecond: 10 });
    expect(ec2ThrottlePolicy.buckets[filtered!]).toEqual({ capacity: 100, refillPerSecond: 20 });
    expect(ec2ThrottlePolicy.buckets[paged!]).toEqual({ capacity: 100, refillPerSecond: 20 });
    expect(ec2ThrottlePolicy.buckets[ec2ThrottlePolicy.bucketOf('CreateRoute')!]).toEqual({
      capacity: 50,
      refillPerSecond: 5,
    });
    expect(ec2ThrottlePolicy.buckets[ec2ThrottlePolicy.bucketOf('CreateTags')!]).toEqual({
      capacity: 100,
      refillPerSecond: 10,
    });
    expect(ec2ThrottlePolicy.bucketOf('NoSuchAction')).toBeUndefined();
  });

  it('impairs, restores and snapshots over the /_sim/ec2 control routes', async () => {
    // Prepare
    const { subnetId } = await createNetwork(f.ec2);
    const { instanceId } = await launchRunning(f, subnetId);
    const control = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${f.sim.endpoint}/_sim/ec2/${path}`, {
        method,
        ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        signal: AbortSignal.timeout(60_000),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    // Act
    const impaired = await control('POST', `instances/${instanceId}/impair`, { system: true });
    const snapshot = await control('GET', 'state');
    const restored = await control('POST', `instances/${instanceId}/restore`);
    const delays = await control('POST', 'transition-delays', { pending: 1000 });
    const unknown = await control('POST', 'instances/i-0123456789abcdef0/impair');

    // Assess
    expect(impaired.json).toEqual({ instanceId, impaired: { system: true, instance: false } });
    const instances = snapshot.json.instances as { instanceId: string; statusChecks: unknown }[];
    expect(instances[0]).toMatchObject({ instanceId, statusChecks: { system: 'impaired', instance: 'ok' } });
    const tables = snapshot.json.routeTables as { routeSet: { state: string }[] }[];
    expect(tables[0]!.routeSet[0]!.state).toBe('active');
    expect(restored.json.impaired).toEqual({ system: false, instance: false });
    expect(delays.json).toMatchObject({ pending: 1000 });
    expect(unknown.status).toBe(400);
  });
});
