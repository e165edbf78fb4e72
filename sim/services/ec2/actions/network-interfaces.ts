import { AwsError } from '../../../core/errors.js';
import { describe, type Ec2Action, ok } from '../describe.js';
import type { NetworkInterface } from '../model.js';
import { missing, optBool, optInt, optString, reqString, stringList, struct, tagsFor } from '../params.js';
import { networkInterfaceView } from '../views.js';

/** Elastic network interfaces: create, attach, detach, delete, and their attributes. */

export const networkInterfaceActions: Record<string, Ec2Action> = {
  CreateNetworkInterface: (world, params) => {
    const subnet = world.get('subnet', reqString(params, 'SubnetId'));
    const privateIpAddress = optString(params, 'PrivateIpAddress');
    const description = optString(params, 'Description');
    const eni = world.createNetworkInterface(subnet, {
      ...(privateIpAddress ? { privateIpAddress } : {}),
      ...(description !== undefined ? { description } : {}),
      groupIds: stringList(params, 'SecurityGroupId'),
      tags: tagsFor(params, 'network-interface'),
    });
    return { networkInterface: networkInterfaceView(world, eni) };
  },

  DeleteNetworkInterface: (world, params) => {
    const eni = world.get('networkInterface', reqString(params, 'NetworkInterfaceId'));
    if (eni.attachment) {
      throw new AwsError(
        'InvalidNetworkInterface.InUse',
        `The network interface '${eni.networkInterfaceId}' is currently in use.`,
      );
    }
    world.deleteNetworkInterface(eni);
    return ok;
  },

  AttachNetworkInterface: (world, params) => {
    const eni = world.get('networkInterface', reqString(params, 'NetworkInterfaceId'));
    const instance = world.get('instance', reqString(params, 'InstanceId'));
    const deviceIndex = optInt(params, 'DeviceIndex');
    if (deviceIndex === undefined) throw missing('DeviceIndex');
    if (deviceIndex < 1) {
      throw new AwsError('InvalidParameterValue', `Value (${deviceIndex}) for parameter deviceIndex is invalid.`);
    }
    if (eni.attachment) {
      throw new AwsError('InvalidNetworkInterface.InUse', `Interface: [${eni.networkInterfaceId}] in use.`);
    }
    if (instance.state !== 'running' && instance.state !== 'stopped') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not 'running' or 'stopped'.`,
      );
    }
    if (eni.availabilityZone !== instance.availabilityZone || eni.vpcId !== instance.vpcId) {
      throw new AwsError(
        'InvalidParameterCombination',
        'You may not attach a network interface to an instance if they are not in the same availability zone',
      );
    }
    if (world.interfacesOf(instance).some((e) => e.attachment?.deviceIndex === deviceIndex)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Instance '${instance.instanceId}' already has an interface attached at device index '${deviceIndex}'.`,
      );
    }
    const attachmentId = world.attach(eni, instance, deviceIndex, false);
    return { attachmentId, networkCardIndex: 0 };
  },

  // AWS passes through `detaching` for a few seconds; the simulation detaches at once.
  DetachNetworkInterface: (world, params) => {
    const attachmentId = reqString(params, 'AttachmentId');
    const eni = [...world.state.networkInterfaces.values()].find((e) => e.attachment?.attachmentId === attachmentId);
    if (!eni?.attachment) {
      throw new AwsError('InvalidAttachmentID.NotFound', `Interface attachment '${attachmentId}' does not exist.`);
    }
    if (eni.attachment.deviceIndex === 0) {
      throw new AwsError('OperationNotPermitted', 'The network interface at device index 0 cannot be detached.');
    }
    eni.attachment = undefined;
    return ok;
  },

  DescribeNetworkInterfaces: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeNetworkInterfaces',
      kind: 'networkInterface',
      idsParam: 'NetworkInterfaceId',
      all: [...world.state.networkInterfaces.values()],
      fields: {
        'network-interface-id': (e: NetworkInterface) => [e.networkInterfaceId],
        'subnet-id': (e) => [e.subnetId],
        'vpc-id': (e) => [e.vpcId],
        'availability-zone': (e) => [e.availabilityZone],
        description: (e) => [e.description],
        status: (e) => [e.attachment ? 'in-use' : 'available'],
        'private-ip-address': (e) => [e.privateIpAddress],
        'addresses.private-ip-address': (e) => [e.privateIpAddress],
        'mac-address': (e) => [e.macAddress],
        'source-dest-check': (e) => [String(e.sourceDestCheck)],
        'group-id': (e) => e.groupIds,
        'attachment.instance-id': (e) => [e.attachment?.instanceId],
        'attachment.attachment-id': (e) => [e.attachment?.attachmentId],
        'attachment.status': (e) => [e.attachment?.status],
        'attachment.device-index': (e) => [e.attachment ? String(e.attachment.deviceIndex) : undefined],
        'attachment.delete-on-termination': (e) => [
          e.attachment ? String(e.attachment.deleteOnTermination) : undefined,
        ],
        'association.public-ip': (e) => [world.addressOn(e)?.publicIp],
        'association.allocation-id': (e) => [world.addressOn(e)?.allocationId],
        'association.association-id': (e) => [world.addressOn(e)?.association?.associationId],
        'owner-id': () => [world.accountId],
        'interface-type': () => ['interface'],
      },
      page: { min: 5, max: 1000, exclusiveWithIds: 'networkInterfaceIdSet' },
    });
    return { networkInterfaceSet: items.map((e) => networkInterfaceView(world, e)), nextToken };
  },

  ModifyNetworkInterfaceAttribute: (world, params) => {
    const eni = world.get('networkInterface', reqString(params, 'NetworkInterfaceId'));
    const sourceDestCheck = struct(params, 'SourceDestCheck');
    const attachment = struct(params, 'Attachment');
    const description = struct(params, 'Description');
    if (!sourceDestCheck && !attachment && !description) {
      throw new AwsError('MissingParameter', 'You must specify an attribute to modify.');
    }
    if ([sourceDestCheck, attachment, description].filter(Boolean).length > 1) {
      throw new AwsError('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
    }
    if (sourceDestCheck) {
      const value = optBool(sourceDestCheck, 'Value');
      if (value === undefined) throw missing('SourceDestCheck.Value');
      eni.sourceDestCheck = value;
    }
    if (description) eni.description = optString(description, 'Value') ?? '';
    if (attachment) {
      const attachmentId = reqString(attachment, 'AttachmentId');
      const value = optBool(attachment, 'DeleteOnTermination');
      if (value === undefined) throw missing('Attachment.DeleteOnTermination');
      if (eni.attachment?.attachmentId !== attachmentId) {
        throw new AwsError('InvalidAttachmentID.NotFound', `Interface attachment '${attachmentId}' does not exist.`);
      }
      eni.attachment.deleteOnTermination = value;
    }
    return ok;
  },

  DescribeNetworkInterfaceAttribute: (world, params) => {
    const eni = world.get('networkInterface', reqString(params, 'NetworkInterfaceId'));
    const attribute = reqString(params, 'Attribute');
    const view = networkInterfaceView(world, eni);
    const base = { networkInterfaceId: eni.networkInterfaceId };
    switch (attribute) {
      case 'sourceDestCheck':
        return { ...base, sourceDestCheck: { value: eni.sourceDestCheck } };
      case 'description':
        return { ...base, description: { value: eni.description } };
      case 'groupSet':
        return { ...base, groupSet: view.groupSet };
      case 'attachment':
        return { ...base, attachment: view.attachment };
      default:
        throw new AwsError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid.`);
    }
  },
};
