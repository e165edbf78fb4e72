import { AwsError } from '../../../core/errors.js';
import { describe, type Ec2Action, ok } from '../describe.js';
import type { TransitGatewayVpcAttachment, VpcPeeringConnection } from '../model.js';
import { optString, reqString, stringList, tagsFor } from '../params.js';
import { transitGatewayVpcAttachmentView, vpcPeeringConnectionView } from '../views.js';
import type { Ec2World } from '../world.js';

/**
 * What primary paths need: Transit Gateway VPC attachments, detaching a virtual private gateway, and VPC
 * peering connections, each with the states the EC2 API reference lists, moving on the sim clock. Routes to
 * them turn `blackhole` when the target stops carrying traffic (Ec2World.routeState).
 */

/** Attachment states that no longer count as an attachment of the VPC (a new one may be created). */
const ENDED_ATTACHMENT = new Set(['deleting', 'deleted', 'failed', 'failing', 'rejected', 'rejecting']);

function liveAttachment(world: Ec2World, transitGatewayId: string, vpcId: string) {
  return [...world.state.transitGatewayVpcAttachments.values()].find(
    (a) => a.transitGatewayId === transitGatewayId && a.vpcId === vpcId && !ENDED_ATTACHMENT.has(a.state),
  );
}

/** The VPC of a request, for cross-network checks; a peering's requester must be ours. */
function peering(world: Ec2World, id: string): VpcPeeringConnection {
  return world.get('vpcPeeringConnection', id);
}

function endPeering(world: Ec2World, pcx: VpcPeeringConnection, state: 'deleted' | 'rejected'): void {
  pcx.state = state;
  pcx.endedAt = world.clock.now();
}

export const attachmentActions: Record<string, Ec2Action> = {
  CreateTransitGatewayVpcAttachment: (world, params, ctx) => {
    const transitGatewayId = reqString(params, 'TransitGatewayId');
    world.get('transitGateway', transitGatewayId);
    const vpc = world.get('vpc', reqString(params, 'VpcId'));
    const subnetIds = stringList(params, 'SubnetIds');
    if (subnetIds.length === 0)
      throw new AwsError('MissingParameter', 'The request must contain the parameter SubnetIds');
    const subnets = world.many('subnet', subnetIds);
    const outside = subnets.find((s) => s.vpcId !== vpc.vpcId);
    if (outside) {
      throw new AwsError('InvalidParameterValue', `Subnet ${outside.subnetId} does not belong to VPC ${vpc.vpcId}`);
    }
    const zones = subnets.map((s) => s.availabilityZone);
    if (new Set(zones).size !== zones.length) {
      throw new AwsError('DuplicateSubnetsInSameZone', 'Only one subnet per Availability Zone can be specified');
    }
    if (liveAttachment(world, transitGatewayId, vpc.vpcId)) {
      throw new AwsError(
        'DuplicateTransitGatewayAttachment',
        `${transitGatewayId} has non-deleted Transit Gateway Attachments with same VPC ID.`,
      );
    }
    const attachment: TransitGatewayVpcAttachment = {
      seq: world.ids.seq(),
      transitGatewayAttachmentId: world.ids.next('transitGatewayAttachment'),
      transitGatewayId,
      vpcId: vpc.vpcId,
      subnetIds,
      state: 'pending',
      createdAt: ctx.clock.iso(),
      // This request names its tag list TagSpecifications on the wire (no ec2 query name in the model).
      tags: tagsFor(
        { TagSpecification: params.TagSpecifications ?? params.TagSpecification },
        'transit-gateway-attachment',
      ),
    };
    world.state.transitGatewayVpcAttachments.set(attachment.transitGatewayAttachmentId, attachment);
    // Same-account attachments need no acceptance: pending, then available.
    world.later(world.networkDelays.transitGatewayAttachment, () => {
      if (attachment.state === 'pending') attachment.state = 'available';
    });
    return { transitGatewayVpcAttachment: transitGatewayVpcAttachmentView(world, attachment) };
  },

  DeleteTransitGatewayVpcAttachment: (world, params) => {
    const attachment = world.get('transitGatewayAttachment', reqString(params, 'TransitGatewayAttachmentId'));
    if (ENDED_ATTACHMENT.has(attachment.state)) {
      throw new AwsError(
        'IncorrectState',
        `${attachment.transitGatewayAttachmentId} is in invalid state ${attachment.state} for this operation`,
      );
    }
    attachment.state = 'deleting';
    world.later(world.networkDelays.transitGatewayAttachment, () => {
      attachment.state = 'deleted';
      attachment.deletedAt = world.clock.now();
    });
    return { transitGatewayVpcAttachment: transitGatewayVpcAttachmentView(world, attachment) };
  },

  // Adding or removing subnets passes through `modifying` back to `available`.
  ModifyTransitGatewayVpcAttachment: (world, params) => {
    const attachment = world.get('transitGatewayAttachment', reqString(params, 'TransitGatewayAttachmentId'));
    if (attachment.state !== 'available') {
      throw new AwsError(
        'IncorrectState',
        `${attachment.transitGatewayAttachmentId} is in invalid state ${attachment.state} for this operation`,
      );
    }
    const add = world.many('subnet', stringList(params, 'AddSubnetIds'));
    const remove = new Set(stringList(params, 'RemoveSubnetIds'));
    const outside = add.find((s) => s.vpcId !== attachment.vpcId);
    if (outside) {
      throw new AwsError(
        'InvalidParameterValue',
        `Subnet ${outside.subnetId} does not belong to VPC ${attachment.vpcId}`,
      );
    }
    const subnetIds = [...attachment.subnetIds.filter((id) => !remove.has(id)), ...add.map((s) => s.subnetId)];
    if (subnetIds.length === 0) {
      throw new AwsError('InvalidParameterValue', 'A VPC attachment needs at least one subnet');
    }
    attachment.subnetIds = [...new Set(subnetIds)];
    attachment.state = 'modifying';
    world.later(world.networkDelays.transitGatewayAttachment, () => {
      if (attachment.state === 'modifying') attachment.state = 'available';
    });
    return { transitGatewayVpcAttachment: transitGatewayVpcAttachmentView(world, attachment) };
  },

  DescribeTransitGatewayVpcAttachments: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeTransitGatewayVpcAttachments',
      kind: 'transitGatewayAttachment',
      idsParam: 'TransitGatewayAttachmentIds',
      all: [...world.state.transitGatewayVpcAttachments.values()],
      fields: {
        'transit-gateway-attachment-id': (a) => [a.transitGatewayAttachmentId],
        'transit-gateway-id': (a) => [a.transitGatewayId],
        'vpc-id': (a) => [a.vpcId],
        state: (a) => [a.state],
      },
      page: { min: 5, max: 1000 },
    });
    return {
      transitGatewayVpcAttachments: items.map((a) => transitGatewayVpcAttachmentView(world, a)),
      nextToken,
    };
  },

  DetachVpnGateway: (world, params) => {
    const vgw = world.get('vpnGateway', reqString(params, 'VpnGatewayId'));
    const vpcId = reqString(params, 'VpcId');
    world.get('vpc', vpcId);
    const attachment = vgw.attachments.find((a) => a.vpcId === vpcId && a.state !== 'detached');
    if (!attachment || attachment.state === 'detaching') {
      throw new AwsError(
        'InvalidVpnGatewayAttachment.NotFound',
        `The attachment with vpn gateway ID '${vgw.vpnGatewayId}' and vpc ID '${vpcId}' does not exist`,
      );
    }
    attachment.state = 'detaching';
    world.later(world.networkDelays.vpnGateway, () => {
      attachment.state = 'detached';
    });
    return ok;
  },

  CreateVpcPeeringConnection: (world, params) => {
    const requester = world.get('vpc', reqString(params, 'VpcId'));
    const accepterOwnerId = optString(params, 'PeerOwnerId') ?? world.accountId;
    const peerRegion = optString(params, 'PeerRegion') ?? world.region;
    const peerVpcId = reqString(params, 'PeerVpcId');
    // Another account's or Region's VPC is not in this simulated account: not modelled.
    if (accepterOwnerId !== world.accountId || peerRegion !== world.region) {
      throw new AwsError(
        'InvalidParameterValue',
        'The simulated EC2 does not model cross-account or cross-Region peering',
      );
    }
    const accepter = world.get('vpc', peerVpcId);
    if (accepter.vpcId === requester.vpcId) {
      throw new AwsError('InvalidParameterValue', 'A VPC cannot be peered with itself');
    }
    const pcx: VpcPeeringConnection = {
      seq: world.ids.seq(),
      vpcPeeringConnectionId: world.ids.next('vpcPeeringConnection'),
      requesterVpcId: requester.vpcId,
      accepterVpcId: accepter.vpcId,
      accepterOwnerId,
      state: 'initiating-request',
      tags: tagsFor(params, 'vpc-peering-connection'),
    };
    world.state.vpcPeeringConnections.set(pcx.vpcPeeringConnectionId, pcx);
    const view = vpcPeeringConnectionView(world, pcx);
    // The request is handed to the accepter at once in one account.
    pcx.state = 'pending-acceptance';
    return { vpcPeeringConnection: view };
  },

  AcceptVpcPeeringConnection: (world, params) => {
    const pcx = peering(world, reqString(params, 'VpcPeeringConnectionId'));
    if (pcx.state !== 'pending-acceptance') {
      throw new AwsError(
        'InvalidStateTransition',
        `Invalid state transition for ${pcx.vpcPeeringConnectionId}, attempted to transition from ${pcx.state} to provisioning`,
      );
    }
    pcx.state = 'provisioning';
    world.later(world.networkDelays.peering, () => {
      if (pcx.state === 'provisioning') pcx.state = 'active';
    });
    return { vpcPeeringConnection: vpcPeeringConnectionView(world, pcx) };
  },

  RejectVpcPeeringConnection: (world, params) => {
    const pcx = peering(world, reqString(params, 'VpcPeeringConnectionId'));
    if (pcx.state !== 'pending-acceptance') {
      throw new AwsError(
        'InvalidStateTransition',
        `Invalid state transition for ${pcx.vpcPeeringConnectionId}, attempted to transition from ${pcx.state} to rejected`,
      );
    }
    endPeering(world, pcx, 'rejected');
    return ok;
  },

  // Either side may delete an active connection, the requester a pending one; not one failed or rejected.
  DeleteVpcPeeringConnection: (world, params) => {
    const pcx = peering(world, reqString(params, 'VpcPeeringConnectionId'));
    if (pcx.state !== 'active' && pcx.state !== 'pending-acceptance') {
      throw new AwsError(
        'InvalidStateTransition',
        `Invalid state transition for ${pcx.vpcPeeringConnectionId}, attempted to transition from ${pcx.state} to deleting`,
      );
    }
    pcx.state = 'deleting';
    world.later(world.networkDelays.peering, () => endPeering(world, pcx, 'deleted'));
    return ok;
  },

  DescribeVpcPeeringConnections: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeVpcPeeringConnections',
      kind: 'vpcPeeringConnection',
      idsParam: 'VpcPeeringConnectionId',
      all: [...world.state.vpcPeeringConnections.values()],
      fields: {
        'vpc-peering-connection-id': (p) => [p.vpcPeeringConnectionId],
        'status-code': (p) => [p.state],
        'requester-vpc-info.vpc-id': (p) => [p.requesterVpcId],
        'accepter-vpc-info.vpc-id': (p) => [p.accepterVpcId],
      },
      page: { min: 5, max: 1000 },
    });
    return { vpcPeeringConnectionSet: items.map((p) => vpcPeeringConnectionView(world, p)), nextToken };
  },
};
