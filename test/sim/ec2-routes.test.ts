import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRANSITION_DELAYS } from '../../sim/services/ec2/index.js';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

async function mainTable(ec2: EC2Client, vpcId: string) {
  const out = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  expect(out.RouteTables).toHaveLength(1);
  return out.RouteTables![0]!;
}

async function routeTo(ec2: EC2Client, routeTableId: string, destination: string) {
  const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
  return out.RouteTables![0]!.Routes!.find(
    (r) =>
      r.DestinationCidrBlock === destination ||
      r.DestinationIpv6CidrBlock === destination ||
      r.DestinationPrefixListId === destination,
  );
}

describe('simulated EC2 routes', () => {
  let f: Ec2Fixture;
  let vpcId: string;
  let subnetId: string;
  let rtb: string;

  beforeAll(async () => {
    f = await startEc2();
  });
  afterAll(async () => {
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    ({ vpcId, subnetId } = await createNetwork(f.ec2));
    rtb = (await mainTable(f.ec2, vpcId)).RouteTableId!;
  });

  it('creates every VPC with a main route table holding the active local route', async () => {
    // Act
    const table = await mainTable(f.ec2, vpcId);

    // Assess
    expect(table.RouteTableId).toMatch(/^rtb-[0-9a-f]{17}$/);
    expect(table.Associations?.[0]).toMatchObject({ Main: true, RouteTableId: table.RouteTableId });
    expect(table.Associations?.[0]?.RouteTableAssociationId).toMatch(/^rtbassoc-[0-9a-f]{17}$/);
    expect(table.Routes).toEqual([
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
    ]);
    expect(table.OwnerId).toBe('123456789012');
  });

  it('routes to an instance record its primary ENI, as AWS shows them', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);

    // Act
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', InstanceId: instanceId }),
    );

    // Assess
    expect(await routeTo(f.ec2, rtb, '172.16.0.0/16')).toEqual({
      DestinationCidrBlock: '172.16.0.0/16',
      InstanceId: instanceId,
      InstanceOwnerId: '123456789012',
      NetworkInterfaceId: eniId,
      Origin: 'CreateRoute',
      State: 'active',
    });
  });

  it('accepts IPv4, IPv6 and prefix-list destinations with ENI, gateway and transit gateway targets', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    const igw = (await f.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await f.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const tgw = (await f.ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
    await f.ec2.send(
      new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
    );
    f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);
    const pl = (
      await f.ec2.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: 'vendor',
          MaxEntries: 5,
          AddressFamily: 'IPv4',
          Entries: [{ Cidr: '192.168.0.0/16' }],
        }),
      )
    ).PrefixList!.PrefixListId!;

    // Act
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: pl, NetworkInterfaceId: eniId }),
    );
    await f.ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtb,
        DestinationIpv6CidrBlock: '2001:db8::/32',
        NetworkInterfaceId: eniId,
      }),
    );
    await f.ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '100.64.0.0/10', TransitGatewayId: tgw }),
    );

    // Assess
    expect(await routeTo(f.ec2, rtb, pl)).toMatchObject({
      NetworkInterfaceId: eniId,
      InstanceId: instanceId,
      State: 'active',
    });
    expect(await routeTo(f.ec2, rtb, '2001:db8::/32')).toMatchObject({ NetworkInterfaceId: eniId, State: 'active' });
    expect(await routeTo(f.ec2, rtb, '0.0.0.0/0')).toMatchObject({ GatewayId: igw, State: 'active' });
    expect(await routeTo(f.ec2, rtb, '100.64.0.0/10')).toMatchObject({ TransitGatewayId: tgw, State: 'active' });
  });

  it('fails CreateRoute on an existing destination with RouteAlreadyExists', async () => {
    // Prepare
    const { eniId } = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eniId }),
    );

    // Act
    const err = await failure(
      f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eniId }),
      ),
    );

    // Assess
    expect(err.name).toBe('RouteAlreadyExists');
  });

  it('fails ReplaceRoute on a missing destination with InvalidParameterValue, as AWS does', async () => {
    // Prepare
    const { eniId } = await launchRunning(f, subnetId);

    // Act
    const err = await failure(
      f.ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: rtb,
          DestinationCidrBlock: '172.16.0.0/16',
          NetworkInterfaceId: eniId,
        }),
      ),
    );

    // Assess
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toBe(
      "There is no route defined for '172.16.0.0/16' in the route table. Use CreateRoute instead.",
    );
  });

  it('re-points a route with ReplaceRoute', async () => {
    // Prepare
    const first = await launchRunning(f, subnetId);
    const second = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtb,
        DestinationCidrBlock: '172.16.0.0/16',
        NetworkInterfaceId: first.eniId,
      }),
    );

    // Act
    await f.ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: rtb,
        DestinationCidrBlock: '172.16.0.0/16',
        NetworkInterfaceId: second.eniId,
      }),
    );

    // Assess
    expect(await routeTo(f.ec2, rtb, '172.16.0.0/16')).toMatchObject({
      NetworkInterfaceId: second.eniId,
      InstanceId: second.instanceId,
      State: 'active',
    });
  });

  it('rejects routes to a missing ENI and to an ENI of another VPC', async () => {
    // Prepare
    const other = await createNetwork(f.ec2, '10.1.0.0/16', '10.1.1.0/24');
    const foreignEni = (await f.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: other.subnetId })))
      .NetworkInterface!.NetworkInterfaceId!;

    // Act
    const missing = await failure(
      f.ec2.send(
        new CreateRouteCommand({
          RouteTableId: rtb,
          DestinationCidrBlock: '172.16.0.0/16',
          NetworkInterfaceId: 'eni-0123456789abcdef0',
        }),
      ),
    );
    const foreign = await failure(
      f.ec2.send(
        new CreateRouteCommand({
          RouteTableId: rtb,
          DestinationCidrBlock: '172.16.0.0/16',
          NetworkInterfaceId: foreignEni,
        }),
      ),
    );
    const replaceMissing = await failure(
      f.ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: rtb,
          DestinationCidrBlock: '10.0.0.0/16',
          NetworkInterfaceId: 'eni-0123456789abcdef0',
        }),
      ),
    );

    // Assess
    expect(missing.name).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(foreign.name).toBe('InvalidParameterValue');
    expect(foreign.message).toContain('belong to different networks');
    expect(replaceMissing.name).toBe('InvalidParameterValue');
  });

  it('blackholes a route whose target ENI is deleted and keeps the old target id', async () => {
    // Prepare
    const eni = (await f.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!
      .NetworkInterfaceId!;
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eni }),
    );

    // Act
    await f.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));

    // Assess
    expect(await routeTo(f.ec2, rtb, '172.16.0.0/16')).toMatchObject({ NetworkInterfaceId: eni, State: 'blackhole' });
    const blackholed = await f.ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.state', Values: ['blackhole'] }] }),
    );
    expect(blackholed.RouteTables?.map((t) => t.RouteTableId)).toEqual([rtb]);
  });

  // A route points at the ENI, which survives stop/start: AWS reports it blackhole while the
  // instance is stopped and active again once it runs (the NAT-instance failover pattern relies on it).
  it('blackholes a route while its target instance is stopped and reactivates it when it runs again', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', InstanceId: instanceId }),
    );

    // Act
    await f.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    const whileStopping = await routeTo(f.ec2, rtb, '172.16.0.0/16');
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.stopping);
    const whileStopped = await routeTo(f.ec2, rtb, '172.16.0.0/16');
    await f.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.pending);
    const afterStart = await routeTo(f.ec2, rtb, '172.16.0.0/16');

    // Assess
    expect(whileStopping?.State).toBe('blackhole');
    expect(whileStopped).toMatchObject({ State: 'blackhole', InstanceId: instanceId, NetworkInterfaceId: eniId });
    expect(afterStart).toMatchObject({ State: 'active', InstanceId: instanceId, NetworkInterfaceId: eniId });
  });

  it('blackholes a route whose target instance is terminated and keeps both target ids', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eniId }),
    );

    // Act
    await f.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.shuttingDown);

    // Assess
    expect(await routeTo(f.ec2, rtb, '172.16.0.0/16')).toMatchObject({
      State: 'blackhole',
      NetworkInterfaceId: eniId,
      InstanceId: instanceId,
    });
  });

  it('deletes routes, refusing the local one and answering InvalidRoute.NotFound for a missing one', async () => {
    // Prepare
    const { eniId } = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eniId }),
    );

    // Act
    await f.ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16' }));
    const again = await failure(
      f.ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16' })),
    );
    const local = await failure(
      f.ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.0.0.0/16' })),
    );

    // Assess
    expect(await routeTo(f.ec2, rtb, '172.16.0.0/16')).toBeUndefined();
    expect(again.name).toBe('InvalidRoute.NotFound');
    expect(local.name).toBe('InvalidParameterValue');
  });

  it('filters route tables by route destination and target', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    await f.ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eniId }),
    );
    const query = (Name: string, Values: string[]) =>
      f.ec2
        .send(new DescribeRouteTablesCommand({ Filters: [{ Name, Values }] }))
        .then((o) => o.RouteTables!.map((t) => t.RouteTableId));

    // Act
    const results = {
      cidr: await query('route.destination-cidr-block', ['172.16.*']),
      eni: await query('route.network-interface-id', [eniId]),
      instance: await query('route.instance-id', [instanceId]),
      none: await query('route.destination-cidr-block', ['172.17.0.0/16']),
      ipv6: await query('route.destination-ipv6-cidr-block', ['*']),
      pl: await query('route.destination-prefix-list-id', ['pl-*']),
    };

    // Assess
    expect(results).toEqual({ cidr: [rtb], eni: [rtb], instance: [rtb], none: [], ipv6: [], pl: [] });
  });

  it('answers InvalidRouteTableID.NotFound for a missing table', async () => {
    // Act
    const err = await failure(
      f.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb, 'rtb-0123456789abcdef0'] })),
    );

    // Assess
    expect(err.name).toBe('InvalidRouteTableID.NotFound');
    expect(err.message).toContain('rtb-0123456789abcdef0');
  });
});
