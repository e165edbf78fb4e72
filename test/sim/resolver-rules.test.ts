import {
  CreateResolverRuleCommand,
  DeleteResolverRuleCommand,
  GetResolverRuleCommand,
  ListResolverRulesCommand,
  paginateListResolverRules,
  type ResolverRule,
  type Route53ResolverClient,
  UpdateResolverRuleCommand,
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
let network: Network;
let endpointId: string;

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
  endpointId = await createOutboundEndpoint(client, network.subnetIds);
});

describe('Route 53 Resolver rules in the simulated account', () => {
  it('lists the built-in Internet Resolver rule first, gets it, and refuses to change it', async () => {
    // Act
    const listed = await client.send(new ListResolverRulesCommand({}));
    const got = await client.send(
      new GetResolverRuleCommand({ ResolverRuleId: 'rslvr-autodefined-rr-internet-resolver' }),
    );
    const deleted = await failure(
      client.send(new DeleteResolverRuleCommand({ ResolverRuleId: 'rslvr-autodefined-rr-internet-resolver' })),
    );

    // Assess
    expect(listed.ResolverRules?.[0]).toMatchObject({
      Id: 'rslvr-autodefined-rr-internet-resolver',
      Name: 'Internet Resolver',
      DomainName: '.',
      RuleType: 'RECURSIVE',
      OwnerId: 'Route 53 Resolver',
      Status: 'COMPLETE',
    });
    expect(got.ResolverRule).toEqual(listed.ResolverRules?.[0]);
    expect(deleted.name).toBe('InvalidRequestException');
  });

  it('creates a FORWARD rule with AWS-shaped ids, ARN, defaults and a fully qualified domain name', async () => {
    // Act
    const rule = await createForwardRule(client, endpointId, 'db.vendor.example', { Name: 'vendor-db' });

    // Assess
    expect(rule.Id).toMatch(/^rslvr-rr-[0-9a-f]{17}$/);
    expect(rule.Arn).toBe(`arn:aws:route53resolver:eu-west-2:123456789012:resolver-rule/${rule.Id}`);
    expect(rule).toMatchObject({
      DomainName: 'db.vendor.example.',
      RuleType: 'FORWARD',
      Status: 'COMPLETE',
      Name: 'vendor-db',
      ResolverEndpointId: endpointId,
      OwnerId: '123456789012',
      ShareStatus: 'NOT_SHARED',
      TargetIps: [{ Ip: '192.0.2.10', Port: 53, Protocol: 'Do53' }],
    });
  });

  it('gives the same ids in the same order after a reset, so drills replay', async () => {
    // Prepare
    const first = await createForwardRule(client, endpointId, 'a.example');
    await sim.reset();
    const networkAgain = await createNetwork(sim);
    const endpointAgain = await createOutboundEndpoint(client, networkAgain.subnetIds);

    // Act
    const second = await createForwardRule(client, endpointAgain, 'a.example');

    // Assess
    expect(networkAgain).toEqual(network);
    expect(endpointAgain).toBe(endpointId);
    expect(second.Id).toBe(first.Id);
  });

  it('keeps a trailing dot as given and keeps the case of the name it was given', async () => {
    // Act
    const dotted = await createForwardRule(client, endpointId, 'already.example.');
    const mixed = await createForwardRule(client, endpointId, 'Example.COM');
    const fetched = await client.send(new GetResolverRuleCommand({ ResolverRuleId: mixed.Id }));

    // Assess
    expect(dotted.DomainName).toBe('already.example.');
    expect(fetched.ResolverRule?.DomainName).toBe('Example.COM.');
  });

  it('answers a repeated CreatorRequestId with ResourceExistsException and creates nothing more', async () => {
    // Prepare
    await createForwardRule(client, endpointId, 'one.example', { CreatorRequestId: 'fixed-id' });

    // Act
    const error = await failure(createForwardRule(client, endpointId, 'one.example', { CreatorRequestId: 'fixed-id' }));
    const listed = await client.send(
      new ListResolverRulesCommand({ Filters: [{ Name: 'Type', Values: ['FORWARD'] }] }),
    );

    // Assess
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toContain('fixed-id');
    expect(listed.ResolverRules).toHaveLength(1);
  });

  it('creates a SYSTEM rule without targets and refuses targets on it', async () => {
    // Act
    const system = await client.send(
      new CreateResolverRuleCommand({
        CreatorRequestId: 'sys-1',
        RuleType: 'SYSTEM',
        DomainName: 'apex.vendor.example',
      }),
    );
    const withTargets = await failure(
      client.send(
        new CreateResolverRuleCommand({
          CreatorRequestId: 'sys-2',
          RuleType: 'SYSTEM',
          DomainName: 'x.example',
          TargetIps: [{ Ip: '192.0.2.1' }],
        }),
      ),
    );

    // Assess
    expect(system.ResolverRule).toMatchObject({ RuleType: 'SYSTEM', DomainName: 'apex.vendor.example.' });
    expect(system.ResolverRule?.TargetIps).toBeUndefined();
    expect(withTargets.name).toBe('InvalidRequestException');
  });

  it('refuses RECURSIVE rules, FORWARD rules without an endpoint and unknown endpoints as AWS does', async () => {
    // Act
    const recursive = await failure(
      client.send(new CreateResolverRuleCommand({ CreatorRequestId: 'r-1', RuleType: 'RECURSIVE', DomainName: 'x.' })),
    );
    const noEndpoint = await failure(
      client.send(
        new CreateResolverRuleCommand({
          CreatorRequestId: 'r-2',
          RuleType: 'FORWARD',
          DomainName: 'x.example',
          TargetIps: [{ Ip: '192.0.2.1' }],
        }),
      ),
    );
    const unknownEndpoint = await failure(createForwardRule(client, 'rslvr-out-00000000000000000', 'x.example'));
    const badIp = await failure(
      createForwardRule(client, endpointId, 'x.example', { TargetIps: [{ Ip: '300.1.1.1' }] }),
    );

    // Assess
    expect(recursive.name).toBe('InvalidRequestException');
    expect(recursive.message).toContain('RECURSIVE');
    expect(noEndpoint.name).toBe('InvalidRequestException');
    expect(unknownEndpoint.name).toBe('ResourceNotFoundException');
    expect(badIp.name).toBe('InvalidParameterException');
  });

  it('accepts IPv6 targets with a port and protocol, but not a mix of IPv4 and IPv6', async () => {
    // Act
    const v6 = await createForwardRule(client, endpointId, 'v6.example', {
      TargetIps: [{ Ipv6: '2001:db8::53', Port: 5353, Protocol: 'DoH' }],
    });
    const mixed = await failure(
      createForwardRule(client, endpointId, 'mixed.example', {
        TargetIps: [{ Ip: '192.0.2.1' }, { Ipv6: '2001:db8::1' }],
      }),
    );

    // Assess
    expect(v6.TargetIps).toEqual([{ Ipv6: '2001:db8::53', Port: 5353, Protocol: 'DoH' }]);
    expect(mixed.name).toBe('InvalidRequestException');
  });

  it('updates the name, targets and endpoint of a rule and keeps the rest', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'moving.example', { Name: 'before' });
    const otherEndpoint = await createOutboundEndpoint(client, network.subnetIds);
    sim.clock.advance(60_000);

    // Act
    const updated = await client.send(
      new UpdateResolverRuleCommand({
        ResolverRuleId: rule.Id,
        Config: { Name: 'after', TargetIps: [{ Ip: '198.51.100.7', Port: 5300 }], ResolverEndpointId: otherEndpoint },
      }),
    );
    const fetched = await client.send(new GetResolverRuleCommand({ ResolverRuleId: rule.Id }));

    // Assess
    expect(updated.ResolverRule).toMatchObject({
      Name: 'after',
      TargetIps: [{ Ip: '198.51.100.7', Port: 5300, Protocol: 'Do53' }],
      ResolverEndpointId: otherEndpoint,
      DomainName: 'moving.example.',
      CreationTime: rule.CreationTime,
    });
    expect(updated.ResolverRule?.ModificationTime).not.toBe(rule.ModificationTime);
    expect(fetched.ResolverRule).toEqual(updated.ResolverRule);
  });

  it('deletes a rule, answering DELETING, after which it is not found', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'gone.example');

    // Act
    const deleted = await client.send(new DeleteResolverRuleCommand({ ResolverRuleId: rule.Id }));
    const afterwards = await failure(client.send(new GetResolverRuleCommand({ ResolverRuleId: rule.Id })));
    const again = await failure(client.send(new DeleteResolverRuleCommand({ ResolverRuleId: rule.Id })));

    // Assess
    expect(deleted.ResolverRule).toMatchObject({ Id: rule.Id, Status: 'DELETING' });
    expect(afterwards.name).toBe('ResourceNotFoundException');
    expect(again.name).toBe('ResourceNotFoundException');
  });
});

describe('ListResolverRules', () => {
  it('pages through every rule with the SDK paginator, each once, in creation order', async () => {
    // Prepare
    const created: string[] = [];
    for (let i = 0; i < 23; i++)
      created.push((await createForwardRule(client, endpointId, `n${i}.example`)).Id as string);

    // Act
    const pages: ResolverRule[][] = [];
    for await (const page of paginateListResolverRules({ client, pageSize: 5 }, {}))
      pages.push(page.ResolverRules ?? []);

    // Assess: the built-in Internet Resolver rule first, then the 23 in creation order.
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 4]);
    expect(pages.flat().map((r) => r.Id)).toEqual(['rslvr-autodefined-rr-internet-resolver', ...created]);
  });

  it('neither skips nor repeats rules when one is deleted between pages', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await createForwardRule(client, endpointId, `p${i}.example`)).Id as string);
    const forward = { Filters: [{ Name: 'Type', Values: ['FORWARD'] }] };
    const first = await client.send(new ListResolverRulesCommand({ ...forward, MaxResults: 3 }));
    await client.send(new DeleteResolverRuleCommand({ ResolverRuleId: ids[1] }));

    // Act
    const second = await client.send(
      new ListResolverRulesCommand({ ...forward, MaxResults: 3, NextToken: first.NextToken }),
    );

    // Assess
    expect(first.ResolverRules?.map((r) => r.Id)).toEqual(ids.slice(0, 3));
    expect(second.ResolverRules?.map((r) => r.Id)).toEqual(ids.slice(3));
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses a NextToken it did not give and a MaxResults out of range', async () => {
    // Act
    const badToken = await failure(client.send(new ListResolverRulesCommand({ NextToken: 'not-a-token' })));
    const tooMany = await failure(client.send(new ListResolverRulesCommand({ MaxResults: 101 })));

    // Assess
    expect(badToken.name).toBe('InvalidNextTokenException');
    expect(tooMany.name).toBe('InvalidParameterException');
  });

  it('filters by the documented names, old UPPER_SNAKE names included, ANDing filters and ORing values', async () => {
    // Prepare
    const other = await createOutboundEndpoint(client, network.subnetIds);
    const a = await createForwardRule(client, endpointId, 'a.example', { Name: 'alpha', CreatorRequestId: 'cr-a' });
    const b = await createForwardRule(client, other, 'b.example', { Name: 'beta' });
    const system = await client.send(
      new CreateResolverRuleCommand({ CreatorRequestId: 'cr-s', RuleType: 'SYSTEM', DomainName: 'a.example' }),
    );
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      (await client.send(new ListResolverRulesCommand({ Filters: filters }))).ResolverRules?.map((r) => r.Id);

    // Act + Assess
    expect(await ids([{ Name: 'DomainName', Values: ['a.example.'] }])).toEqual([a.Id, system.ResolverRule?.Id]);
    expect(await ids([{ Name: 'DomainName', Values: ['a.example'] }])).toEqual([]);
    expect(await ids([{ Name: 'Type', Values: ['SYSTEM'] }])).toEqual([system.ResolverRule?.Id]);
    expect(await ids([{ Name: 'TYPE', Values: ['FORWARD'] }])).toEqual([a.Id, b.Id]);
    expect(await ids([{ Name: 'ResolverEndpointId', Values: [other] }])).toEqual([b.Id]);
    expect(await ids([{ Name: 'CREATOR_REQUEST_ID', Values: ['cr-a', 'cr-s'] }])).toEqual([
      a.Id,
      system.ResolverRule?.Id,
    ]);
    expect(await ids([{ Name: 'Name', Values: ['alpha', 'beta'] }])).toEqual([a.Id, b.Id]);
    expect(
      await ids([
        { Name: 'Status', Values: ['COMPLETE'] },
        { Name: 'Name', Values: ['beta'] },
      ]),
    ).toEqual([b.Id]);
    const unknown = await failure(
      client.send(new ListResolverRulesCommand({ Filters: [{ Name: 'Colour', Values: ['x'] }] })),
    );
    expect(unknown.name).toBe('InvalidParameterException');
  });
});
