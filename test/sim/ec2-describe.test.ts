import {
  AssociateRouteTableCommand,
  CreateManagedPrefixListCommand,
  CreateRouteTableCommand,
  CreateTagsCommand,
  DeleteRouteTableCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  DisassociateRouteTableCommand,
  paginateDescribeRouteTables,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

describe('simulated EC2 describe, filters, pagination and tags', () => {
  let f: Ec2Fixture;
  let vpcId: string;
  let subnetId: string;

  beforeAll(async () => {
    f = await startEc2();
  });
  afterAll(async () => {
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    ({ vpcId, subnetId } = await createNetwork(f.ec2));
  });

  it('pages route tables with the SDK paginator', async () => {
    // Prepare
    const created: string[] = [];
    for (let i = 0; i < 11; i++) {
      created.push((await f.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!);
    }

    // Act
    const pages: string[][] = [];
    for await (const page of paginateDescribeRouteTables({ client: f.ec2, pageSize: 5 }, {})) {
      pages.push(page.RouteTables!.map((t) => t.RouteTableId!));
    }

    // Assess
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat().slice(1)).toEqual(created);
    expect(new Set(pages.flat()).size).toBe(12);
  });

  it('rejects out-of-range MaxResults, MaxResults with instance ids, and foreign tokens', async () => {
    // Act
    const tooSmall = await failure(f.ec2.send(new DescribeRouteTablesCommand({ MaxResults: 4 })));
    const tooLarge = await failure(f.ec2.send(new DescribeRouteTablesCommand({ MaxResults: 101 })));
    const combined = await failure(
      f.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'], MaxResults: 5 })),
    );
    const badToken = await failure(f.ec2.send(new DescribeRouteTablesCommand({ NextToken: 'not-a-token' })));

    // Assess
    expect(tooSmall.name).toBe('InvalidParameterValue');
    expect(tooLarge.name).toBe('InvalidParameterValue');
    expect(combined.name).toBe('InvalidParameterCombination');
    expect(badToken.name).toBe('InvalidNextToken');
  });

  it('associates a subnet, filters by association, and refuses to delete an associated table', async () => {
    // Prepare
    const table = (await f.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!;

    // Act
    const assoc = await f.ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId, SubnetId: subnetId }),
    );
    const bySubnet = await f.ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
    );
    const twice = await failure(
      f.ec2.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId, SubnetId: subnetId })),
    );
    const inUse = await failure(f.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId })));
    await f.ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId }));
    await f.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }));
    const gone = await failure(f.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table.RouteTableId!] })));

    // Assess
    expect(table.Routes).toEqual([
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
    ]);
    expect(table.Associations).toEqual([]);
    expect(assoc.AssociationId).toMatch(/^rtbassoc-/);
    expect(bySubnet.RouteTables?.map((t) => t.RouteTableId)).toEqual([table.RouteTableId]);
    expect(bySubnet.RouteTables![0]!.Associations![0]).toMatchObject({ Main: false, SubnetId: subnetId });
    expect(twice.name).toBe('Resource.AlreadyAssociated');
    expect(inUse.name).toBe('DependencyViolation');
    expect(gone.name).toBe('InvalidRouteTableID.NotFound');
  });

  it('tags every resource kind and finds them by tag:KEY, tag-key and tag-value with wildcards', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    const rtb = (await f.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    const resources = [vpcId, subnetId, instanceId, eniId, rtb];

    // Act
    await f.ec2.send(
      new CreateTagsCommand({ Resources: resources, Tags: [{ Key: 'cgw-autopilot:managed', Value: 'yes' }] }),
    );
    const tags = await f.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['cgw-autopilot:*'] }] }));
    const tables = await f.ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'tag:cgw-autopilot:managed', Values: ['y?s'] }] }),
    );
    const byKey = await f.ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'tag-key', Values: ['cgw-autopilot:managed'] }] }),
    );
    const byValue = await f.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag-value', Values: ['yes'] }] }));
    await f.ec2.send(
      new DeleteTagsCommand({ Resources: [rtb], Tags: [{ Key: 'cgw-autopilot:managed', Value: 'no' }] }),
    );
    const kept = await f.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [rtb] }] }));
    await f.ec2.send(new DeleteTagsCommand({ Resources: [rtb], Tags: [{ Key: 'cgw-autopilot:managed' }] }));
    const deleted = await f.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [rtb] }] }));
    const missing = await failure(
      f.ec2.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })),
    );

    // Assess
    expect(tags.Tags?.map((t) => [t.ResourceId, t.ResourceType])).toEqual([
      [vpcId, 'vpc'],
      [subnetId, 'subnet'],
      [instanceId, 'instance'],
      [eniId, 'network-interface'],
      [rtb, 'route-table'],
    ]);
    expect(tables.RouteTables?.map((t) => t.RouteTableId)).toEqual([rtb]);
    expect(tables.RouteTables![0]!.Tags).toEqual([{ Key: 'cgw-autopilot:managed', Value: 'yes' }]);
    expect(byKey.Subnets?.map((s) => s.SubnetId)).toEqual([subnetId]);
    expect(byValue.Vpcs?.map((v) => v.VpcId)).toEqual([vpcId]);
    expect(kept.Tags).toHaveLength(1);
    expect(deleted.Tags).toEqual([]);
    expect(missing.name).toBe('InvalidInstanceID.NotFound');
  });

  it('answers InvalidParameterValue for an unknown filter name', async () => {
    // Act
    const err = await failure(
      f.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    );

    // Assess
    expect(err.name).toBe('InvalidParameterValue');
  });

  it('creates and describes managed prefix lists', async () => {
    // Prepare
    const created = await f.ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'vendor-cidrs',
        MaxEntries: 10,
        AddressFamily: 'IPv4',
        Entries: [{ Cidr: '10.100.0.0/16', Description: 'vendor' }],
      }),
    );

    // Act
    const listed = await f.ec2.send(
      new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['vendor-*'] }] }),
    );

    // Assess
    expect(created.PrefixList?.PrefixListId).toMatch(/^pl-[0-9a-f]{17}$/);
    expect(listed.PrefixLists).toEqual([
      expect.objectContaining({ PrefixListName: 'vendor-cidrs', MaxEntries: 10, State: 'create-complete' }),
    ]);
  });
});
