import { AwsError } from '../../../core/errors.js';
import { describe, type Ec2Action, ok } from '../describe.js';
import type { Address } from '../model.js';
import { optBool, optString, reqString, stringList, tagsFor } from '../params.js';
import { addressView } from '../views.js';

/** Elastic IPs (VPC domain only): allocate, associate with an instance or ENI, disassociate, release. */

export const addressActions: Record<string, Ec2Action> = {
  AllocateAddress: (world, params) => {
    const domain = optString(params, 'Domain') ?? 'vpc';
    if (domain !== 'vpc')
      throw new AwsError('InvalidParameterValue', `Value (${domain}) for parameter domain is invalid.`);
    const n = ++world.state.publicIpCounter;
    const address: Address = {
      seq: world.ids.seq(),
      allocationId: world.ids.next('allocation'),
      publicIp: `18.130.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`,
      tags: tagsFor(params, 'elastic-ip'),
    };
    world.state.addresses.set(address.allocationId, address);
    return {
      publicIp: address.publicIp,
      allocationId: address.allocationId,
      domain: 'vpc',
      publicIpv4Pool: 'amazon',
      networkBorderGroup: world.region,
    };
  },

  AssociateAddress: (world, params) => {
    const allocationId = optString(params, 'AllocationId');
    const publicIp = optString(params, 'PublicIp');
    let address: Address | undefined;
    if (allocationId) address = world.get('address', allocationId);
    else if (publicIp) {
      address = [...world.state.addresses.values()].find((a) => a.publicIp === publicIp);
      if (!address) throw new AwsError('InvalidAddress.NotFound', `Address '${publicIp}' not found.`);
    } else throw new AwsError('MissingParameter', 'The request must contain the parameter AllocationId');
    const instanceId = optString(params, 'InstanceId');
    const networkInterfaceId = optString(params, 'NetworkInterfaceId');
    if (!instanceId && !networkInterfaceId) {
      throw new AwsError('MissingParameter', 'Either instance ID or network interface ID must be specified');
    }
    let eni = networkInterfaceId ? world.get('networkInterface', networkInterfaceId) : undefined;
    if (instanceId) {
      const instance = world.get('instance', instanceId);
      if (instance.state !== 'running' && instance.state !== 'stopped' && instance.state !== 'pending') {
        throw new AwsError(
          'IncorrectInstanceState',
          `The instance '${instanceId}' is not in a valid state for this operation.`,
        );
      }
      const primary = world.primaryInterface(instance);
      if (eni && eni.attachment?.instanceId !== instanceId) {
        throw new AwsError(
          'InvalidParameterCombination',
          `Network interface ${eni.networkInterfaceId} is not attached to ${instanceId}`,
        );
      }
      eni ??= primary;
      if (!eni) throw new AwsError('IncorrectInstanceState', `The instance '${instanceId}' has no network interface.`);
    }
    const privateIpAddress = optString(params, 'PrivateIpAddress') ?? eni!.privateIpAddress;
    if (privateIpAddress !== eni!.privateIpAddress) {
      throw new AwsError(
        'InvalidParameterValue',
        `The private IP address ${privateIpAddress} is not assigned to ${eni!.networkInterfaceId}`,
      );
    }
    // In a VPC reassociation is automatic unless AllowReassociation is explicitly false.
    if (address.association && optBool(params, 'AllowReassociation') === false) {
      throw new AwsError(
        'Resource.AlreadyAssociated',
        `resource ${address.allocationId} is already associated with associate-id ${address.association.associationId}`,
      );
    }
    const previous = world.addressOn(eni!);
    if (previous && previous !== address) previous.association = undefined;
    address.association = {
      associationId: world.ids.next('association'),
      networkInterfaceId: eni!.networkInterfaceId,
      privateIpAddress,
    };
    return { associationId: address.association.associationId };
  },

  DisassociateAddress: (world, params) => {
    const associationId = optString(params, 'AssociationId');
    const publicIp = optString(params, 'PublicIp');
    if (!associationId && !publicIp)
      throw new AwsError('MissingParameter', 'The request must contain the parameter AssociationId');
    const address = [...world.state.addresses.values()].find((a) =>
      associationId ? a.association?.associationId === associationId : a.publicIp === publicIp && a.association,
    );
    if (!address) {
      throw associationId
        ? new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`)
        : new AwsError('InvalidAddress.NotFound', `Address '${publicIp}' not found or not associated.`);
    }
    address.association = undefined;
    return ok;
  },

  ReleaseAddress: (world, params) => {
    const address = world.get('address', reqString(params, 'AllocationId'));
    if (address.association) throw new AwsError('InvalidIPAddress.InUse', 'Address is in use.');
    world.state.addresses.delete(address.allocationId);
    return ok;
  },

  DescribeAddresses: (world, params) => {
    const publicIps = stringList(params, 'PublicIp');
    const missingIp = publicIps.find((ip) => ![...world.state.addresses.values()].some((a) => a.publicIp === ip));
    if (missingIp) throw new AwsError('InvalidAddress.NotFound', `Address '${missingIp}' not found.`);
    const { items } = describe(world, params, {
      action: 'DescribeAddresses',
      kind: 'address',
      idsParam: 'AllocationId',
      all: [...world.state.addresses.values()].filter((a) => publicIps.length === 0 || publicIps.includes(a.publicIp)),
      fields: {
        'allocation-id': (a: Address) => [a.allocationId],
        'association-id': (a) => [a.association?.associationId],
        domain: () => ['vpc'],
        'instance-id': (a) => [addressView(world, a).instanceId],
        'network-interface-id': (a) => [a.association?.networkInterfaceId],
        'network-interface-owner-id': (a) => [a.association ? world.accountId : undefined],
        'private-ip-address': (a) => [a.association?.privateIpAddress],
        'public-ip': (a) => [a.publicIp],
        'network-border-group': () => [world.region],
      },
    });
    return { addressesSet: items.map((a) => addressView(world, a)) };
  },
};
