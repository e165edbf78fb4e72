import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeAddressesCommand,
  DescribeNetworkInterfaceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  DisassociateAddressCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

describe('simulated EC2 network interfaces and Elastic IPs', () => {
  let f: Ec2Fixture;
  let subnetId: string;

  const createEni = async () =>
    (await f.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!.NetworkInterfaceId!;

  beforeAll(async () => {
    f = await startEc2();
  });
  afterAll(async () => {
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    ({ subnetId } = await createNetwork(f.ec2));
  });

  it('attaches and detaches an ENI, and refuses to delete it while attached', async () => {
    // Prepare
    const { instanceId } = await launchRunning(f, subnetId);
    const eni = await createEni();

    // Act
    const attach = await f.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }),
    );
    const inUse = await failure(f.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni })));
    const attached = await f.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
    );
    await f.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attach.AttachmentId }));
    await f.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    const gone = await failure(f.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })));

    // Assess
    expect(attach.AttachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    expect(inUse.name).toBe('InvalidNetworkInterface.InUse');
    expect(attached.NetworkInterfaces).toHaveLength(2);
    expect(attached.NetworkInterfaces![1]).toMatchObject({
      NetworkInterfaceId: eni,
      Status: 'in-use',
      Attachment: { InstanceId: instanceId, DeviceIndex: 1, Status: 'attached', DeleteOnTermination: false },
    });
    expect(gone.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  it('modifies and describes SourceDestCheck and DeleteOnTermination', async () => {
    // Prepare
    const { eniId } = await launchRunning(f, subnetId);
    const before = await f.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    const attachmentId = before.NetworkInterfaces![0]!.Attachment!.AttachmentId!;

    // Act
    await f.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, SourceDestCheck: { Value: false } }),
    );
    await f.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eniId,
        Attachment: { AttachmentId: attachmentId, DeleteOnTermination: false },
      }),
    );
    const check = await f.ec2.send(
      new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attribute: 'sourceDestCheck' }),
    );
    const attachment = await f.ec2.send(
      new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attribute: 'attachment' }),
    );

    // Assess
    expect(check.SourceDestCheck?.Value).toBe(false);
    expect(attachment.Attachment).toMatchObject({
      AttachmentId: attachmentId,
      DeleteOnTermination: false,
      DeviceIndex: 0,
    });
  });

  it('filters interfaces by attachment status, private address and id', async () => {
    // Prepare
    const { eniId } = await launchRunning(f, subnetId);
    const free = await createEni();
    const ids = (Name: string, Values: string[]) =>
      f.ec2
        .send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name, Values }] }))
        .then((o) => o.NetworkInterfaces!.map((e) => e.NetworkInterfaceId));

    // Act / Assess
    expect(await ids('attachment.status', ['attached'])).toEqual([eniId]);
    expect(await ids('private-ip-address', ['10.0.1.5'])).toEqual([free]);
    expect(await ids('network-interface-id', ['eni-*'])).toEqual([eniId, free]);
    expect(await ids('subnet-id', [subnetId])).toEqual([eniId, free]);
  });

  it('allocates, associates, reassociates, disassociates and releases an Elastic IP', async () => {
    // Prepare
    const first = await launchRunning(f, subnetId);
    const second = await launchRunning(f, subnetId);
    const eip = await f.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    // Act
    const assoc = await f.ec2.send(
      new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: first.instanceId }),
    );
    const onFirst = (await f.ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })))
      .Addresses![0]!;
    const refused = await failure(
      f.ec2.send(
        new AssociateAddressCommand({
          AllocationId: eip.AllocationId,
          NetworkInterfaceId: second.eniId,
          AllowReassociation: false,
        }),
      ),
    );
    const moved = await f.ec2.send(
      new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: second.eniId }),
    );
    const byEni = await f.ec2.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: [second.eniId] }] }),
    );
    const inUse = await failure(f.ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId })));
    await f.ec2.send(new DisassociateAddressCommand({ AssociationId: moved.AssociationId }));
    const staleAssoc = await failure(
      f.ec2.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId })),
    );
    await f.ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    const released = await failure(f.ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })));

    // Assess
    expect(eip.AllocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    expect(assoc.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    expect(onFirst).toMatchObject({
      PublicIp: eip.PublicIp,
      InstanceId: first.instanceId,
      NetworkInterfaceId: first.eniId,
      PrivateIpAddress: '10.0.1.4',
      Domain: 'vpc',
    });
    expect(refused.name).toBe('Resource.AlreadyAssociated');
    expect(byEni.Addresses).toHaveLength(1);
    expect(byEni.Addresses![0]).toMatchObject({ InstanceId: second.instanceId, AssociationId: moved.AssociationId });
    expect(inUse.name).toBe('InvalidIPAddress.InUse');
    expect(staleAssoc.name).toBe('InvalidAssociationID.NotFound');
    expect(released.name).toBe('InvalidAllocationID.NotFound');
  });

  it('filters addresses by allocation id, association id, domain and private address', async () => {
    // Prepare
    const { instanceId } = await launchRunning(f, subnetId);
    const used = await f.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const spare = await f.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { AssociationId } = await f.ec2.send(
      new AssociateAddressCommand({ AllocationId: used.AllocationId, InstanceId: instanceId }),
    );
    const ids = (Name: string, Values: string[]) =>
      f.ec2
        .send(new DescribeAddressesCommand({ Filters: [{ Name, Values }] }))
        .then((o) => o.Addresses!.map((a) => a.AllocationId));

    // Act / Assess
    expect(await ids('allocation-id', [spare.AllocationId!])).toEqual([spare.AllocationId]);
    expect(await ids('association-id', [AssociationId!])).toEqual([used.AllocationId]);
    expect(await ids('domain', ['vpc'])).toEqual([used.AllocationId, spare.AllocationId]);
    expect(await ids('private-ip-address', ['10.0.1.*'])).toEqual([used.AllocationId]);
    expect(await ids('instance-id', [instanceId])).toEqual([used.AllocationId]);
  });
});
