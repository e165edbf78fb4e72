import {
  AcceptVpcPeeringConnectionCommand,
  AttachVpnGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateRouteCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnGatewayCommand,
  DeleteTransitGatewayVpcAttachmentCommand,
  DescribeRouteTablesCommand,
  DetachVpnGatewayCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrimaryPathRouteAction, RouteConfig } from '../../functions/core/routes/types.js';
import { testConfig } from '../core/routes-fixtures.js';
import { createNetwork, type Ec2Fixture, startEc2 } from '../sim/ec2-fixtures.js';

// The mixed-path adapter against the simulated account, through the unmodified SDK.

describe('primary-path adapter on the simulated account', () => {
  let f: Ec2Fixture;
  let adapter: typeof import('../../functions/adapters/primary-path.js');
  let vpcId: string;
  let subnetId: string;
  let rtb: string;
  const delays = () => f.service.world.networkDelays;

  beforeAll(async () => {
    f = await startEc2();
    // The product's clients read the endpoint when first created, as a Lambda function reads AWS_ENDPOINT_URL.
    process.env.AWS_ENDPOINT_URL = f.sim.endpoint;
    adapter = await import('../../functions/adapters/primary-path.js');
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL;
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    ({ vpcId, subnetId } = await createNetwork(f.ec2));
    const tables = await f.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    rtb = tables.RouteTables![0]!.RouteTableId!;
  });

  const config = (id: string, overrides: Partial<RouteConfig> = {}) =>
    testConfig({
      primaryPath: {
        kind: id.startsWith('tgw-')
          ? 'transit-gateway'
          : id.startsWith('vgw-')
            ? 'vpn-gateway'
            : 'vpc-peering-connection',
        id,
      },
      destinations: [{ kind: 'ipv4-cidr', value: '10.200.0.0/16' }],
      ...overrides,
    });

  it('reads a Transit Gateway attachment per VPC, the live one winning over a deleted one', async () => {
    // Prepare
    const tgw = (await f.ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
    const attach = () =>
      f.ec2.send(
        new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
      );
    const first = (await attach()).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
    f.sim.clock.advance(delays().transitGatewayAttachment);
    await f.ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: first }));
    f.sim.clock.advance(delays().transitGatewayAttachment);
    const whileDeleted = await adapter.observeMixedPaths(config(tgw));
    await attach();
    f.sim.clock.advance(delays().transitGatewayAttachment);

    // Act
    const observed = await adapter.observeMixedPaths(config(tgw));

    // Assess
    expect(whileDeleted.primaryPath).toEqual({
      kind: 'transit-gateway',
      id: tgw,
      exists: true,
      vpcStates: { [vpcId]: 'deleted' },
    });
    expect(observed.primaryPath?.vpcStates).toEqual({ [vpcId]: 'available' });
  });

  it('reads a VGW attachment state, and a missing VGW as not existing', async () => {
    // Prepare
    const vgw = (await f.ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway!.VpnGatewayId!;
    await f.ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
    f.sim.clock.advance(delays().vpnGateway);
    await f.ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));

    // Act
    const detaching = await adapter.observeMixedPaths(config(vgw));
    const missing = await adapter.observeMixedPaths(config('vgw-0123456789abcdef0'));

    // Assess
    expect(detaching.primaryPath).toEqual({
      kind: 'vpn-gateway',
      id: vgw,
      exists: true,
      vpcStates: { [vpcId]: 'detaching' },
    });
    expect(missing.primaryPath).toMatchObject({ exists: false, vpcStates: {} });
  });

  it('reads a peering connection status for both of its VPCs', async () => {
    // Prepare
    const peer = await createNetwork(f.ec2, '10.200.0.0/16', '10.200.1.0/24');
    const pcx = (await f.ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peer.vpcId })))
      .VpcPeeringConnection!.VpcPeeringConnectionId!;
    await f.ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    f.sim.clock.advance(delays().peering);

    // Act
    const observed = await adapter.observeMixedPaths(config(pcx));

    // Assess
    expect(observed.primaryPath?.vpcStates).toEqual({ [vpcId]: 'active', [peer.vpcId]: 'active' });
  });

  it("reads every managed prefix list's entries", async () => {
    // Prepare
    const pl = (
      await f.ec2.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: 'vendor',
          AddressFamily: 'IPv4',
          MaxEntries: 5,
          Entries: [{ Cidr: '10.200.0.0/16' }, { Cidr: '0.0.0.0/0' }],
        }),
      )
    ).PrefixList!.PrefixListId!;

    // Act
    const observed = await adapter.observeMixedPaths(
      testConfig({ destinations: [{ kind: 'prefix-list', value: pl }] }),
    );

    // Assess
    expect(observed).toEqual({ primaryPath: null, prefixListEntries: { [pl]: ['10.200.0.0/16', '0.0.0.0/0'] } });
  });

  it('points a route at the primary path: CreateRoute when missing, ReplaceRoute otherwise', async () => {
    // Prepare
    const tgw = (await f.ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
    await f.ec2.send(
      new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
    );
    f.sim.clock.advance(delays().transitGatewayAttachment);
    const vgw = (await f.ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway!.VpnGatewayId!;
    await f.ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
    f.sim.clock.advance(delays().vpnGateway);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.201.0.0/16', GatewayId: vgw }),
    );
    const action = (destination: string, before: PrimaryPathRouteAction['before']): PrimaryPathRouteAction => ({
      kind: 'route-to-primary-path',
      actionId: `route-to-primary-path-${destination}`,
      routeTableId: rtb,
      destination: { kind: 'ipv4-cidr', value: destination },
      reason: before === null ? 'missing' : 'off-primary-path',
      before,
      after: { primaryPath: 'transit-gateway', id: tgw },
    });

    // Act
    const created = await adapter.applyPrimaryPathRoute(action('10.200.0.0/16', null));
    const replaced = await adapter.applyPrimaryPathRoute(
      action('10.201.0.0/16', { target: { gatewayId: vgw }, state: 'active' }),
    );
    const routes = (await f.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!
      .Routes!;

    // Assess
    expect([created, replaced]).toEqual(['applied', 'applied']);
    const onTgw = routes.filter((r) => r.TransitGatewayId === tgw).map((r) => [r.DestinationCidrBlock, r.State]);
    expect(onTgw.sort()).toEqual([
      ['10.200.0.0/16', 'active'],
      ['10.201.0.0/16', 'active'],
    ]);
  });
});
