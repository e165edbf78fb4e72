import { AwsError } from '../../../core/errors.js';
import { describe, type Ec2Action } from '../describe.js';
import type { Instance } from '../model.js';
import { missing, optBool, optInt, optString, type Params, reqString, stringList, struct, tagsFor } from '../params.js';
import { instanceView, stateView } from '../views.js';
import type { Ec2World } from '../world.js';

/** Instances: launch with a primary ENI, the state machine on the sim clock, status checks, source/dest check. */

const instanceFields = (world: Ec2World) => ({
  'instance-id': (i: Instance) => [i.instanceId],
  'instance-state-name': (i: Instance) => [i.state],
  'instance-state-code': (i: Instance) => [String(stateView(i.state).code)],
  'instance-type': (i: Instance) => [i.instanceType],
  'image-id': (i: Instance) => [i.imageId],
  'vpc-id': (i: Instance) => [i.vpcId],
  'subnet-id': (i: Instance) => [i.subnetId],
  'availability-zone': (i: Instance) => [i.availabilityZone],
  'reservation-id': (i: Instance) => [i.reservationId],
  'private-ip-address': (i: Instance) => [world.primaryInterface(i)?.privateIpAddress],
  'ip-address': (i: Instance) => [world.primaryInterface(i) && world.addressOn(world.primaryInterface(i)!)?.publicIp],
  'source-dest-check': (i: Instance) => [
    world.primaryInterface(i) ? String(world.primaryInterface(i)!.sourceDestCheck) : undefined,
  ],
  'network-interface.network-interface-id': (i: Instance) => world.interfacesOf(i).map((e) => e.networkInterfaceId),
  'network-interface.attachment.status': (i: Instance) => world.interfacesOf(i).map((e) => e.attachment?.status),
  'owner-id': () => [world.accountId],
});

function statusOf(instance: Instance, which: 'system' | 'instance') {
  if (instance.state !== 'running') return { status: 'not-applicable', details: [] as unknown[] };
  const failed = instance.impaired[which];
  return {
    status: failed ? 'impaired' : 'ok',
    details: [{ name: 'reachability', status: failed ? 'failed' : 'passed', impairedSince: undefined }],
  };
}

function stateChanges(world: Ec2World, params: Params, apply: (instance: Instance) => void) {
  const ids = stringList(params, 'InstanceId');
  if (ids.length === 0) throw missing('InstanceId');
  const instances = world.many('instance', ids);
  return {
    instancesSet: instances.map((instance) => {
      const previousState = stateView(instance.state);
      apply(instance);
      return { instanceId: instance.instanceId, currentState: stateView(instance.state), previousState };
    }),
  };
}

function incorrectState(instance: Instance, verb: string): AwsError {
  return new AwsError(
    'IncorrectInstanceState',
    `The instance '${instance.instanceId}' is not in a state from which it can be ${verb}.`,
  );
}

/** On an instance, SourceDestCheck lives on its primary ENI; with several ENIs EC2 asks for an ENI id. */
function soleInterface(world: Ec2World, instance: Instance) {
  const interfaces = world.interfacesOf(instance);
  if (interfaces.length > 1) {
    throw new AwsError(
      'InvalidInstanceID',
      `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
    );
  }
  const eni = interfaces[0];
  if (!eni)
    throw new AwsError('IncorrectInstanceState', `The instance '${instance.instanceId}' has no network interface.`);
  return eni;
}

const RUN_TAG_TYPES = ['instance', 'network-interface', 'volume'];

export const instanceActions: Record<string, Ec2Action> = {
  RunInstances: (world, params, ctx) => {
    const imageId = reqString(params, 'ImageId');
    const minCount = optInt(params, 'MinCount');
    const maxCount = optInt(params, 'MaxCount');
    if (minCount === undefined) throw missing('MinCount');
    if (maxCount === undefined) throw missing('MaxCount');
    if (minCount < 1 || maxCount < minCount) {
      throw new AwsError(
        'InvalidParameterValue',
        `Invalid value '${minCount}' for minCount. Must be between 1 and maxCount`,
      );
    }
    if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
      throw new AwsError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
    }
    const nic = struct(params, 'NetworkInterface');
    if (nic) throw new AwsError('InvalidParameterValue', 'The simulated EC2 launches instances with SubnetId only');
    const subnetId = optString(params, 'SubnetId');
    // There is no default VPC in the simulated account.
    if (!subnetId) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
    const subnet = world.get('subnet', subnetId);
    const privateIp = optString(params, 'PrivateIpAddress');
    if (privateIp && maxCount > 1) {
      throw new AwsError(
        'InvalidParameterCombination',
        'Cannot specify a private IP address when launching more than one instance',
      );
    }
    const instanceTags = tagsFor(params, 'instance', RUN_TAG_TYPES);
    const eniTags = tagsFor(params, 'network-interface', RUN_TAG_TYPES);
    const groupIds = stringList(params, 'SecurityGroupId');
    const reservationId = world.ids.next('reservation');
    const instances: Instance[] = [];
    for (let launchIndex = 0; launchIndex < maxCount; launchIndex++) {
      const instance: Instance = {
        seq: world.ids.seq(),
        instanceId: world.ids.next('instance'),
        reservationId,
        imageId,
        instanceType: optString(params, 'InstanceType') ?? 'm1.small',
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        launchTime: ctx.clock.iso(),
        launchIndex,
        state: 'pending',
        stateTransitionReason: '',
        impaired: { system: false, instance: false },
        tags: new Map(instanceTags),
      };
      const eni = world.createNetworkInterface(subnet, {
        ...(privateIp ? { privateIpAddress: privateIp } : {}),
        description: '',
        groupIds,
        tags: new Map(eniTags),
      });
      world.state.instances.set(instance.instanceId, instance);
      world.attach(eni, instance, 0, true);
      instances.push(instance);
      world.beginTransition(instance, 'pending', 'running', world.delays.pending);
    }
    return {
      reservationId,
      ownerId: world.accountId,
      groupSet: [],
      // The launch answer shows each instance as it was created, still pending.
      instancesSet: instances.map((i) => ({ ...instanceView(world, i), instanceState: stateView('pending') })),
    };
  },

  StartInstances: (world, params) =>
    stateChanges(world, params, (instance) => {
      if (instance.state === 'pending' || instance.state === 'running') return;
      if (instance.state !== 'stopped') throw incorrectState(instance, 'started');
      instance.stateTransitionReason = '';
      instance.stateReason = undefined;
      world.beginTransition(instance, 'pending', 'running', world.delays.pending);
    }),

  StopInstances: (world, params) =>
    stateChanges(world, params, (instance) => {
      if (instance.state === 'stopping' || instance.state === 'stopped') return;
      if (instance.state !== 'running') throw incorrectState(instance, 'stopped');
      instance.stateTransitionReason = `User initiated (${world.clock.date().toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
      instance.stateReason = {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      };
      world.beginTransition(instance, 'stopping', 'stopped', world.delays.stopping);
    }),

  TerminateInstances: (world, params) =>
    stateChanges(world, params, (instance) => {
      if (instance.state === 'shutting-down' || instance.state === 'terminated') return;
      instance.stateTransitionReason = `User initiated (${world.clock.date().toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
      world.beginTransition(instance, 'shutting-down', 'terminated', world.delays.shuttingDown);
    }),

  DescribeInstances: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeInstances',
      kind: 'instance',
      idsParam: 'InstanceId',
      all: [...world.state.instances.values()],
      fields: instanceFields(world),
      page: { min: 5, max: 1000, exclusiveWithIds: 'instancesSet' },
    });
    const reservations = new Map<string, Instance[]>();
    for (const instance of items)
      reservations.set(instance.reservationId, [...(reservations.get(instance.reservationId) ?? []), instance]);
    return {
      reservationSet: [...reservations].map(([reservationId, instances]) => ({
        reservationId,
        ownerId: world.accountId,
        groupSet: [],
        instancesSet: instances.map((i) => instanceView(world, i)),
      })),
      nextToken,
    };
  },

  DescribeInstanceStatus: (world, params) => {
    const includeAll = optBool(params, 'IncludeAllInstances') ?? false;
    const fields = {
      ...instanceFields(world),
      'system-status.status': (i: Instance) => [statusOf(i, 'system').status],
      'instance-status.status': (i: Instance) => [statusOf(i, 'instance').status],
      'system-status.reachability': (i: Instance) => [
        statusOf(i, 'system').details[0] ? (i.impaired.system ? 'failed' : 'passed') : undefined,
      ],
      'instance-status.reachability': (i: Instance) => [
        statusOf(i, 'instance').details[0] ? (i.impaired.instance ? 'failed' : 'passed') : undefined,
      ],
    };
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeInstanceStatus',
      kind: 'instance',
      idsParam: 'InstanceId',
      // Without IncludeAllInstances only running instances are described.
      all: [...world.state.instances.values()].filter((i) => includeAll || i.state === 'running'),
      fields,
      page: { min: 5, max: 1000, exclusiveWithIds: 'instancesSet' },
    });
    return {
      instanceStatusSet: items.map((i) => ({
        instanceId: i.instanceId,
        availabilityZone: i.availabilityZone,
        instanceState: stateView(i.state),
        systemStatus: statusOf(i, 'system'),
        instanceStatus: statusOf(i, 'instance'),
      })),
      nextToken,
    };
  },

  ModifyInstanceAttribute: (world, params) => {
    const instance = world.get('instance', reqString(params, 'InstanceId'));
    const nested = struct(params, 'SourceDestCheck');
    const attribute = optString(params, 'Attribute');
    let value: boolean | undefined;
    if (nested) value = optBool(nested, 'Value');
    else if (attribute !== undefined) {
      if (attribute !== 'sourceDestCheck') {
        throw new AwsError(
          'InvalidParameterValue',
          `The simulated EC2 only modifies sourceDestCheck, not ${attribute}`,
        );
      }
      value = optBool(params, 'Value');
    } else throw new AwsError('MissingParameter', 'No attributes specified.');
    if (value === undefined) throw missing('SourceDestCheck.Value');
    if (instance.state === 'terminated' || instance.state === 'shutting-down')
      throw incorrectState(instance, 'modified');
    soleInterface(world, instance).sourceDestCheck = value;
    return { return: true };
  },

  DescribeInstanceAttribute: (world, params) => {
    const instance = world.get('instance', reqString(params, 'InstanceId'));
    const attribute = reqString(params, 'Attribute');
    switch (attribute) {
      case 'sourceDestCheck':
        return {
          instanceId: instance.instanceId,
          sourceDestCheck: { value: soleInterface(world, instance).sourceDestCheck },
        };
      case 'instanceType':
        return { instanceId: instance.instanceId, instanceType: { value: instance.instanceType } };
      case 'groupSet':
        return {
          instanceId: instance.instanceId,
          groupSet: (world.primaryInterface(instance)?.groupIds ?? []).map((groupId) => ({ groupId })),
        };
      default:
        throw new AwsError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid.`);
    }
  },
};
