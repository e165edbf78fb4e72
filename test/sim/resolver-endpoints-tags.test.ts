import {
  CreateResolverEndpointCommand,
  type CreateResolverEndpointCommandInput,
  DeleteResolverEndpointCommand,
  GetResolverEndpointCommand,
  GetResolverRuleCommand,
  ListResolverEndpointsCommand,
  ListResolverRulesCommand,
  ListTagsForResourceCommand,
  type Route53ResolverClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-route53resolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../sim/index.js';
import {
  createForwardRule,
  createNetwork,
  createOutboundEndpoint,
  failure,
  type Network,
  resolverClient,
} from './resolver-fixtures.js';

let sim: SimServer;
let client: Route53ResolverClient;
/** A real VPC with two subnets of the sim's EC2 service, created after each reset. */
let network: Network;

beforeAll(async () => {
  sim = await startSim();
  client = resolverClient(sim);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await sim.reset();
  network = await createNetwork(sim);
});

const endpointInput = (overrides: Partial<CreateResolverEndpointCommandInput> = {}) =>
  new CreateResolverEndpointCommand({
    CreatorRequestId: 'ep-1',
    Name: 'cgw-outbound',
    Direction: 'OUTBOUND',
    SecurityGroupIds: [network.securityGroupId],
    IpAddresses: [
      { SubnetId: network.subnetIds[0], Ip: '10.0.1.10' },
      { SubnetId: network.subnetIds[1], Ip: '10.0.2.10' },
    ],
    ...overrides,
  });

/** Sends a raw awsJson1_1 request, as a broken or foreign client would. */
async function rawCall(target: string, body: string) {
  const response = await fetch(`${sim.endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as { __type?: string; message?: string } };
}

describe('Route 53 Resolver endpoints in the simulated account', () => {
  it('creates an outbound endpoint and gets and lists it as AWS shapes it', async () => {
    // Act
    const created = (await client.send(endpointInput())).ResolverEndpoint;
    const fetched = await client.send(new GetResolverEndpointCommand({ ResolverEndpointId: created?.Id }));
    const listed = await client.send(
      new ListResolverEndpointsCommand({ Filters: [{ Name: 'Direction', Values: ['OUTBOUND'] }] }),
    );
    const inbound = await client.send(
      new ListResolverEndpointsCommand({ Filters: [{ Name: 'DIRECTION', Values: ['INBOUND'] }] }),
    );

    // Assess
    expect(created?.Id).toMatch(/^rslvr-out-[0-9a-f]{17}$/);
    expect(created).toMatchObject({
      Arn: `arn:aws:route53resolver:eu-west-2:123456789012:resolver-endpoint/${created?.Id}`,
      Name: 'cgw-outbound',
      Direction: 'OUTBOUND',
      IpAddressCount: 2,
      Status: 'OPERATIONAL',
      SecurityGroupIds: [network.securityGroupId],
    });
    expect(created?.HostVPCId).toBe(network.vpcId);
    expect(fetched.ResolverEndpoint).toEqual(created);
    expect(listed.ResolverEndpoints?.map((e) => e.Id)).toEqual([created?.Id]);
    expect(inbound.ResolverEndpoints).toEqual([]);
  });

  it('refuses a security group EC2 does not have, as moto does', async () => {
    // Act
    const unknown = await failure(client.send(endpointInput({ SecurityGroupIds: ['sg-0fffffffffffffff0'] })));

    // Assess
    expect(unknown.name).toBe('ResourceNotFoundException');
    expect(unknown.message).toBe("The security group 'sg-0fffffffffffffff0' does not exist");
  });

  it('refuses a repeated CreatorRequestId, a single IP address and an unknown endpoint', async () => {
    // Prepare
    await client.send(endpointInput());

    // Act
    const repeated = await failure(client.send(endpointInput()));
    const oneIp = await failure(
      client.send(endpointInput({ CreatorRequestId: 'ep-2', IpAddresses: [{ SubnetId: network.subnetIds[0] }] })),
    );
    const unknown = await failure(
      client.send(new GetResolverEndpointCommand({ ResolverEndpointId: 'rslvr-out-00000000000000000' })),
    );

    // Assess
    expect(repeated.name).toBe('ResourceExistsException');
    expect(repeated.message).toBe('Resolver Endpoint with creator request id ep-1 already exists');
    expect(oneIp.name).toBe('InvalidRequestException');
    expect(unknown.name).toBe('ResourceNotFoundException');
  });

  it('refuses to delete an endpoint that rules still use, naming them (RSLVR-00600)', async () => {
    // Prepare
    const endpointId = await createOutboundEndpoint(client, network.subnetIds);
    const rule = await createForwardRule(client, endpointId, 'uses.example');

    // Act
    const error = await failure(client.send(new DeleteResolverEndpointCommand({ ResolverEndpointId: endpointId })));

    // Assess
    expect(error.name).toBe('InvalidRequestException');
    expect(error.message).toContain('[RSLVR-00600]');
    expect(error.message).toContain(`"${rule.Id}"`);
  });
});

describe('Route 53 Resolver tags', () => {
  it('tags rules at creation and by ARN, lists, overwrites and removes tags', async () => {
    // Prepare
    const endpointId = await createOutboundEndpoint(client, network.subnetIds);
    const rule = await createForwardRule(client, endpointId, 'tagged.example', {
      Tags: [{ Key: 'cgw-autopilot:managed', Value: 'true' }],
    });
    const arn = rule.Arn as string;

    // Act
    await client.send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'cgw-autopilot:managed', Value: 'yes' },
          { Key: 'cgw-autopilot:name', Value: 'db.vendor.example' },
        ],
      }),
    );
    const afterTag = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['cgw-autopilot:managed'] }));
    const afterUntag = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));

    // Assess
    expect(afterTag.Tags).toEqual([
      { Key: 'cgw-autopilot:managed', Value: 'yes' },
      { Key: 'cgw-autopilot:name', Value: 'db.vendor.example' },
    ]);
    expect(afterUntag.Tags).toEqual([{ Key: 'cgw-autopilot:name', Value: 'db.vendor.example' }]);
  });

  it('tags endpoints too, and answers an unknown ARN with ResourceNotFoundException', async () => {
    // Prepare
    const endpoint = (await client.send(endpointInput({ Tags: [{ Key: 'team', Value: 'net' }] }))).ResolverEndpoint;

    // Act
    const tags = await client.send(new ListTagsForResourceCommand({ ResourceArn: endpoint?.Arn }));
    const unknown = await failure(
      client.send(
        new ListTagsForResourceCommand({
          ResourceArn: 'arn:aws:route53resolver:eu-west-2:123456789012:resolver-rule/rslvr-rr-00000000000000000',
        }),
      ),
    );

    // Assess
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'net' }]);
    expect(unknown.name).toBe('ResourceNotFoundException');
  });
});

describe('the Route 53 Resolver wire protocol of the simulated account', () => {
  it('is throttled by an injected fault, which the SDK retries to success', async () => {
    // Prepare
    sim.faults.add({
      service: 'route53resolver',
      action: 'ListResolverRules',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 1,
    });

    // Act
    const listed = await client.send(new ListResolverRulesCommand({}));

    // Assess
    expect(listed.ResolverRules?.map((r) => r.Id)).toEqual(['rslvr-autodefined-rr-internet-resolver']);
    expect(listed.$metadata.attempts).toBe(2);
    expect(sim.log.all({ service: 'route53resolver' }).map((r) => r.outcome)).toEqual([
      { error: 'ThrottlingException', status: 400 },
      'ok',
    ]);
  });

  it('answers garbage JSON with SerializationException and an unknown operation with UnknownOperationException, then keeps serving', async () => {
    // Act
    const garbage = await rawCall('Route53Resolver.ListResolverRules', '{"Filters": [');
    const unknown = await rawCall('Route53Resolver.CreateFirewallNonsense', '{}');
    const notAnObject = await rawCall('Route53Resolver.ListResolverRules', '[1,2]');
    const after = await client.send(new ListResolverRulesCommand({}));

    // Assess
    expect(garbage).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
    expect(unknown).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(notAnObject.body.__type).toBe('SerializationException');
    expect(after.ResolverRules?.map((r) => r.Id)).toEqual(['rslvr-autodefined-rr-internet-resolver']);
  });

  it('lets a scenario seed an unmanaged rule and association through the control API, and shows them in the snapshot', async () => {
    // Prepare
    const post = (path: string, body: unknown) =>
      fetch(`${sim.endpoint}/_sim/route53resolver/${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      }).then((r) => r.json() as Promise<{ Id: string; Status: string }>);

    // Act
    const seeded = await post('rules', {
      CreatorRequestId: 'console-made',
      RuleType: 'RECURSIVE',
      DomainName: '.',
      Name: 'Internet Resolver',
    });
    const association = await post('associations', { ResolverRuleId: seeded.Id, VPCId: network.vpcId });
    const viaSdk = await client.send(new GetResolverRuleCommand({ ResolverRuleId: seeded.Id }));
    const snapshot = sim.snapshot().route53resolver as { rules: { Id: string; Associations: unknown[] }[] };

    // Assess
    expect(viaSdk.ResolverRule).toMatchObject({ RuleType: 'RECURSIVE', DomainName: '.' });
    expect(association.Status).toBe('COMPLETE');
    expect(snapshot.rules).toEqual([
      expect.objectContaining({ Id: seeded.Id, Associations: [expect.objectContaining({ Id: association.Id })] }),
    ]);
  });
});
