import {
  AssociateResolverRuleCommand,
  DeleteResolverRuleCommand,
  DisassociateResolverRuleCommand,
  GetResolverRuleAssociationCommand,
  ListResolverRuleAssociationsCommand,
  paginateListResolverRuleAssociations,
  type Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimServer, startSim } from '../../sim/index.js';
import { ResolverService } from '../../sim/services/resolver/index.js';
import {
  createForwardRule,
  createNetwork,
  createOutboundEndpoint,
  failure,
  resolverClient,
  UNCHECKED_SUBNET_IDS,
  UNKNOWN_VPC_ID,
} from './resolver-fixtures.js';

let sim: SimServer;
let client: Route53ResolverClient;
let endpointId: string;
/** Two real VPCs of the sim's EC2 service, created after each reset. */
let vpcA: string;
let vpcB: string;

beforeAll(async () => {
  sim = await startSim();
  client = resolverClient(sim);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await sim.reset();
  const networkA = await createNetwork(sim, '10.0');
  const networkB = await createNetwork(sim, '10.1');
  vpcA = networkA.vpcId;
  vpcB = networkB.vpcId;
  endpointId = await createOutboundEndpoint(client, networkA.subnetIds);
});

describe('Route 53 Resolver rule associations in the simulated account', () => {
  it('answers CREATING, then shows the association COMPLETE', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'db.vendor.example');

    // Act
    const answer = await client.send(
      new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA, Name: 'cgw-vpc' }),
    );
    const association = answer.ResolverRuleAssociation;
    const fetched = await client.send(
      new GetResolverRuleAssociationCommand({ ResolverRuleAssociationId: association?.Id }),
    );

    // Assess
    expect(association?.Id).toMatch(/^rslvr-rrassoc-[0-9a-f]{17}$/);
    expect(association).toMatchObject({ ResolverRuleId: rule.Id, VPCId: vpcA, Name: 'cgw-vpc', Status: 'CREATING' });
    expect(fetched.ResolverRuleAssociation).toMatchObject({ Id: association?.Id, Status: 'COMPLETE' });
  });

  it('refuses a second rule for the same domain in the same VPC with RSLVR-00802, case and dot aside', async () => {
    // Prepare
    const first = await createForwardRule(client, endpointId, 'db.vendor.example');
    const second = await createForwardRule(client, endpointId, 'DB.Vendor.Example.');
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: first.Id, VPCId: vpcA }));

    // Act
    const clash = await failure(
      client.send(new AssociateResolverRuleCommand({ ResolverRuleId: second.Id, VPCId: vpcA })),
    );
    const elsewhere = await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: second.Id, VPCId: vpcB }));

    // Assess
    expect(clash.name).toBe('InvalidRequestException');
    expect(clash.message).toBe(
      `[RSLVR-00802] Cannot associate rules with same domain name with same VPC. Conflict with resolver rule "${first.Id}"`,
    );
    expect(elsewhere.ResolverRuleAssociation?.VPCId).toBe(vpcB);
  });

  it('refuses to associate the same rule with the same VPC twice with RSLVR-00802 naming the rule itself, as AWS does', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'twice.example');
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA }));

    // Act
    const again = await failure(
      client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA })),
    );

    // Assess
    expect(again.name).toBe('InvalidRequestException');
    expect(again.message).toBe(
      `[RSLVR-00802] Cannot associate rules with same domain name with same VPC. Conflict with resolver rule "${rule.Id}"`,
    );
  });

  it('refuses to delete an associated rule with ResourceInUseException, and deletes it once disassociated', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'busy.example');
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA }));

    // Act
    const inUse = await failure(client.send(new DeleteResolverRuleCommand({ ResolverRuleId: rule.Id })));
    const disassociated = await client.send(
      new DisassociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA }),
    );
    const deleted = await client.send(new DeleteResolverRuleCommand({ ResolverRuleId: rule.Id }));

    // Assess
    expect(inUse.name).toBe('ResourceInUseException');
    expect(inUse.message).toContain(vpcA);
    expect(disassociated.ResolverRuleAssociation).toMatchObject({ Status: 'DELETING', VPCId: vpcA });
    expect(deleted.ResolverRule?.Status).toBe('DELETING');
  });

  it('answers unknown rules, VPCs without the rule and malformed VPC ids with the right errors', async () => {
    // Prepare
    const rule = await createForwardRule(client, endpointId, 'errors.example');

    // Act
    const noRule = await failure(
      client.send(new AssociateResolverRuleCommand({ ResolverRuleId: 'rslvr-rr-00000000000000000', VPCId: vpcA })),
    );
    const notAssociated = await failure(
      client.send(new DisassociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcB })),
    );
    const malformed = await failure(
      client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: 'vpc-x' })),
    );
    const unknownVpc = await failure(
      client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: UNKNOWN_VPC_ID })),
    );
    const noAssociation = await failure(
      client.send(
        new GetResolverRuleAssociationCommand({ ResolverRuleAssociationId: 'rslvr-rrassoc-00000000000000000' }),
      ),
    );

    // Assess
    expect(noRule.name).toBe('ResourceNotFoundException');
    expect(notAssociated.name).toBe('ResourceNotFoundException');
    expect(malformed.name).toBe('InvalidParameterException');
    expect(unknownVpc.name).toBe('InvalidParameterException');
    expect(unknownVpc.message).toBe(`The vpc ID '${UNKNOWN_VPC_ID}' does not exist`);
    expect(noAssociation.name).toBe('ResourceNotFoundException');
  });

  it('lists associations filtered by VPCId, ResolverRuleId, Name and Status, and pages through them', async () => {
    // Prepare
    const ruleIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      const rule = await createForwardRule(client, endpointId, `r${i}.example`);
      ruleIds.push(rule.Id as string);
      await client.send(
        new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: i < 5 ? vpcA : vpcB, Name: `assoc-${i}` }),
      );
    }
    const ruleIdsOf = async (filters: { Name: string; Values: string[] }[]) =>
      (await client.send(new ListResolverRuleAssociationsCommand({ Filters: filters }))).ResolverRuleAssociations?.map(
        (a) => a.ResolverRuleId,
      );

    // Act
    const pages: number[] = [];
    const paged: string[] = [];
    for await (const page of paginateListResolverRuleAssociations(
      { client, pageSize: 2 },
      { Filters: [{ Name: 'VPCId', Values: [vpcA] }] },
    )) {
      pages.push(page.ResolverRuleAssociations?.length ?? 0);
      paged.push(...(page.ResolverRuleAssociations ?? []).map((a) => a.ResolverRuleId as string));
    }

    // Assess
    expect(pages).toEqual([2, 2, 1]);
    expect(paged).toEqual(ruleIds.slice(0, 5));
    expect(await ruleIdsOf([{ Name: 'VPCId', Values: [vpcB] }])).toEqual(ruleIds.slice(5));
    expect(await ruleIdsOf([{ Name: 'ResolverRuleId', Values: [ruleIds[3] as string] }])).toEqual([ruleIds[3]]);
    expect(await ruleIdsOf([{ Name: 'Name', Values: ['assoc-6'] }])).toEqual([ruleIds[6]]);
    expect(await ruleIdsOf([{ Name: 'Status', Values: ['CREATING'] }])).toEqual([]);
  });
});

describe('Route 53 Resolver associations with a provisioning delay on the sim clock', () => {
  // These sims serve Route 53 Resolver alone, without EC2: any well-formed VPC or subnet id goes
  // unless a hook says otherwise.
  const LONE_VPC_A = 'vpc-0aaaaaaaaaaaaaaaa';
  const LONE_VPC_B = 'vpc-0bbbbbbbbbbbbbbbb';

  it('stays CREATING until the sim clock passes the delay, and DELETING until it passes it again', async () => {
    // Prepare
    const slow = new SimServer({ services: [new ResolverService({ associationDelayMs: 30_000 })] });
    await slow.start();
    try {
      const slowClient = resolverClient(slow);
      const endpoint = await createOutboundEndpoint(slowClient, UNCHECKED_SUBNET_IDS);
      const rule = await createForwardRule(slowClient, endpoint, 'slow.example');
      const created = await slowClient.send(
        new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: LONE_VPC_A }),
      );
      const statusNow = async () =>
        (
          await slowClient.send(
            new GetResolverRuleAssociationCommand({ ResolverRuleAssociationId: created.ResolverRuleAssociation?.Id }),
          )
        ).ResolverRuleAssociation?.Status;

      // Act + Assess
      expect(await statusNow()).toBe('CREATING');
      slow.clock.advance(29_999);
      expect(await statusNow()).toBe('CREATING');
      slow.clock.advance(1);
      expect(await statusNow()).toBe('COMPLETE');
      await slowClient.send(new DisassociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: LONE_VPC_A }));
      expect(await statusNow()).toBe('DELETING');
      const stillInUse = await failure(slowClient.send(new DeleteResolverRuleCommand({ ResolverRuleId: rule.Id })));
      expect(stillInUse.name).toBe('ResourceInUseException');
      slow.clock.advance(30_000);
      const gone = await failure(statusNow());
      expect(gone.name).toBe('ResourceNotFoundException');
    } finally {
      await slow.stop();
    }
  });

  it('refuses a VPC the vpcExists hook does not know', async () => {
    // Prepare
    const strict = new SimServer({ services: [new ResolverService({ vpcExists: (id) => id === LONE_VPC_A })] });
    await strict.start();
    try {
      const strictClient = resolverClient(strict);
      const rule = await createForwardRule(
        strictClient,
        await createOutboundEndpoint(strictClient, UNCHECKED_SUBNET_IDS),
        'hook.example',
      );

      // Act
      const unknown = await failure(
        strictClient.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: LONE_VPC_B })),
      );
      const known = await strictClient.send(
        new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: LONE_VPC_A }),
      );

      // Assess
      expect(unknown.name).toBe('InvalidParameterException');
      expect(unknown.message).toContain(LONE_VPC_B);
      expect(known.ResolverRuleAssociation?.VPCId).toBe(LONE_VPC_A);
    } finally {
      await strict.stop();
    }
  });
});
