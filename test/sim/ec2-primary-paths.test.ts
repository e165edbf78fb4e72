import {
  AcceptVpcPeeringConnectionCommand,
  AttachVpnGatewayCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnGatewayCommand,
  DeleteTransitGatewayVpcAttachmentCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpnGatewaysCommand,
  DetachVpnGatewayCommand,
  type EC2Client,
  ModifyTransitGatewayVpcAttachmentCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNetwork, type Ec2Fixture, failure, startEc2 } from './ec2-fixtures.js';

// The targets a primary path uses, with the states of the EC2 API reference (TransitGatewayVpcAttachment.state,
// VpcAttachment.state, VpcPeeringConnectionStateReason.code), and routes to them turning blackhole.

async function mainTableId(ec2: EC2Client, vpcId: string): Promise<string> {
  const out = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  return out.RouteTables![0]!.RouteTableId!;
}

async function route(ec2: EC2Client, routeTableId: string, destination: string) {
  const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
  return out.RouteTables![0]!.Routes!.find((r) => r.DestinationCidrBlock === destination);
}

describe('simulated EC2 primary-path targets', () => {
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
    rtb = await mainTableId(f.ec2, vpcId);
  });

  describe('Transit Gateway VPC attachments', () => {
    let tgw: string;
    const attachmentState = async (id: string) =>
      (await f.ec2.send(new DescribeTransitGatewayVpcAttachmentsCommand({ TransitGatewayAttachmentIds: [id] })))
        .TransitGatewayVpcAttachments![0]!.State;

    beforeEach(async () => {
      tgw = (await f.ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
    });

    it('refuses a route to a Transit Gateway the VPC has no attachment to', async () => {
      // Act
      const error = await failure(
        f.ec2.send(
          new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.200.0.0/16', TransitGatewayId: tgw }),
        ),
      );

      // Assess
      expect(error.name).toBe('InvalidTransitGatewayID.NotFound');
    });

    it('goes pending then available; a route to it is blackhole until then, then active', async () => {
      // Act
      const created = await f.ec2.send(
        new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
      );
      const id = created.TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
      await f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.200.0.0/16', TransitGatewayId: tgw }),
      );
      const whilePending = await route(f.ec2, rtb, '10.200.0.0/16');
      f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);

      // Assess
      expect(id).toMatch(/^tgw-attach-[0-9a-f]{17}$/);
      expect(created.TransitGatewayVpcAttachment).toMatchObject({
        State: 'pending',
        VpcId: vpcId,
        SubnetIds: [subnetId],
      });
      expect(whilePending).toMatchObject({ TransitGatewayId: tgw, State: 'blackhole' });
      expect(await attachmentState(id)).toBe('available');
      expect(await route(f.ec2, rtb, '10.200.0.0/16')).toMatchObject({ TransitGatewayId: tgw, State: 'active' });
    });

    it('turns the route blackhole when the attachment is deleted, and keeps the deleted attachment visible', async () => {
      // Prepare
      const id = (
        await f.ec2.send(
          new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
        )
      ).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
      f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);
      await f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.200.0.0/16', TransitGatewayId: tgw }),
      );

      // Act
      const deleting = await f.ec2.send(
        new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }),
      );
      const routeWhileDeleting = await route(f.ec2, rtb, '10.200.0.0/16');
      f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);
      const again = await failure(
        f.ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id })),
      );
      const byFilter = await f.ec2.send(
        new DescribeTransitGatewayVpcAttachmentsCommand({
          Filters: [
            { Name: 'transit-gateway-id', Values: [tgw] },
            { Name: 'state', Values: ['deleted'] },
          ],
        }),
      );

      // Assess
      expect(deleting.TransitGatewayVpcAttachment!.State).toBe('deleting');
      expect(routeWhileDeleting).toMatchObject({ TransitGatewayId: tgw, State: 'blackhole' });
      expect(await attachmentState(id)).toBe('deleted');
      expect(again.name).toBe('IncorrectState');
      expect(byFilter.TransitGatewayVpcAttachments!.map((a) => a.TransitGatewayAttachmentId)).toEqual([id]);
      expect(await route(f.ec2, rtb, '10.200.0.0/16')).toMatchObject({ State: 'blackhole' });
    });

    it('passes through modifying while subnets change; the route keeps forwarding', async () => {
      // Prepare
      const second = await f.ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'eu-west-2b' }),
      );
      const id = (
        await f.ec2.send(
          new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
        )
      ).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
      f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);
      await f.ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.200.0.0/16', TransitGatewayId: tgw }),
      );

      // Act
      const modified = await f.ec2.send(
        new ModifyTransitGatewayVpcAttachmentCommand({
          TransitGatewayAttachmentId: id,
          AddSubnetIds: [second.Subnet!.SubnetId!],
        }),
      );
      const routeWhileModifying = await route(f.ec2, rtb, '10.200.0.0/16');
      const twice = await failure(
        f.ec2.send(
          new ModifyTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id, RemoveSubnetIds: [subnetId] }),
        ),
      );
      f.sim.clock.advance(f.service.world.networkDelays.transitGatewayAttachment);

      // Assess
      expect(modified.TransitGatewayVpcAttachment).toMatchObject({
        State: 'modifying',
        SubnetIds: [subnetId, second.Subnet!.SubnetId!],
      });
      expect(routeWhileModifying).toMatchObject({ State: 'active' });
      expect(twice.name).toBe('IncorrectState');
      expect(await attachmentState(id)).toBe('available');
    });

    it('allows one live attachment per VPC and Transit Gateway, and a new one after a delete', async () => {
      // Prepare
      const attach = () =>
        f.ec2.send(
          new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnetId] }),
        );
      const first = (await attach()).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;

      // Act
      const duplicate = await failure(attach());
      await f.ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: first }));
      const second = (await attach()).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;

      // Assess
      expect(duplicate.name).toBe('DuplicateTransitGatewayAttachment');
      expect(second).not.toBe(first);
    });
  });

  describe('virtual private gateways', () => {
    it('attaches through attaching, detaches through detaching to detached; routes to it are active only while attached', async () => {
      // Prepare
      const vgw = (await f.ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway!.VpnGatewayId!;
      const createRoute = () =>
        f.ec2.send(
          new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.200.0.0/16', GatewayId: vgw }),
        );
      const attaching = await f.ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
      const routeWhileAttaching = await failure(createRoute());
      f.sim.clock.advance(f.service.world.networkDelays.vpnGateway);
      await createRoute();
      const before = await route(f.ec2, rtb, '10.200.0.0/16');

      // Act
      await f.ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
      const detaching = (await f.ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }))).VpnGateways![0]!;
      f.sim.clock.advance(f.service.world.networkDelays.vpnGateway);
      const detached = (await f.ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }))).VpnGateways![0]!;
      const whileDetached = await route(f.ec2, rtb, '10.200.0.0/16');
      const twice = await failure(f.ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId })));
      await f.ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
      const whileReattaching = await route(f.ec2, rtb, '10.200.0.0/16');
      f.sim.clock.advance(f.service.world.networkDelays.vpnGateway);

      // Assess
      expect(attaching.VpcAttachment).toEqual({ VpcId: vpcId, State: 'attaching' });
      expect(routeWhileAttaching.name).toBe('InvalidParameterValue');
      expect(before).toMatchObject({ GatewayId: vgw, State: 'active' });
      expect(detaching.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'detaching' }]);
      expect(detached.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'detached' }]);
      expect(whileDetached).toMatchObject({ GatewayId: vgw, State: 'blackhole' });
      expect(twice.name).toBe('InvalidVpnGatewayAttachment.NotFound');
      expect(whileReattaching).toMatchObject({ GatewayId: vgw, State: 'blackhole' });
      expect(await route(f.ec2, rtb, '10.200.0.0/16')).toMatchObject({ GatewayId: vgw, State: 'active' });
    });
  });

  describe('VPC peering connections', () => {
    it('is requested, accepted, active, deleted; routes to it are active only while it is active', async () => {
      // Prepare
      const peer = await createNetwork(f.ec2, '10.200.0.0/16', '10.200.1.0/24');
      const requested = await f.ec2.send(
        new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peer.vpcId }),
      );
      const pcx = requested.VpcPeeringConnection!.VpcPeeringConnectionId!;
      const status = async () =>
        (await f.ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcx] })))
          .VpcPeeringConnections![0]!.Status!.Code;

      // Act
      const pending = await status();
      await f.ec2.send(
        new CreateRouteCommand({
          RouteTableId: rtb,
          DestinationCidrBlock: '10.200.0.0/16',
          VpcPeeringConnectionId: pcx,
        }),
      );
      const routeWhilePending = await route(f.ec2, rtb, '10.200.0.0/16');
      const accepted = await f.ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      f.sim.clock.advance(f.service.world.networkDelays.peering);
      const active = await status();
      const routeWhileActive = await route(f.ec2, rtb, '10.200.0.0/16');
      await f.ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      const deleting = await status();
      f.sim.clock.advance(f.service.world.networkDelays.peering);
      const deleted = await status();
      const deleteAgain = await failure(
        f.ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx })),
      );
      const replaceOntoDeleted = await failure(
        f.ec2.send(
          new ReplaceRouteCommand({
            RouteTableId: rtb,
            DestinationCidrBlock: '10.200.0.0/16',
            VpcPeeringConnectionId: pcx,
          }),
        ),
      );

      // Assess
      expect(requested.VpcPeeringConnection).toMatchObject({
        Status: { Code: 'initiating-request' },
        RequesterVpcInfo: { VpcId: vpcId },
        AccepterVpcInfo: { VpcId: peer.vpcId },
      });
      expect(pending).toBe('pending-acceptance');
      expect(routeWhilePending).toMatchObject({ VpcPeeringConnectionId: pcx, State: 'blackhole' });
      expect(accepted.VpcPeeringConnection!.Status!.Code).toBe('provisioning');
      expect(active).toBe('active');
      expect(routeWhileActive).toMatchObject({ VpcPeeringConnectionId: pcx, State: 'active' });
      expect(deleting).toBe('deleting');
      expect(deleted).toBe('deleted');
      expect(deleteAgain.name).toBe('InvalidStateTransition');
      expect(replaceOntoDeleted.name).toBe('InvalidVpcPeeringConnectionID.NotFound');
      expect(await route(f.ec2, rtb, '10.200.0.0/16')).toMatchObject({ State: 'blackhole' });
    });
  });
});
