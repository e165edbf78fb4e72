import { AwsError } from '../../../core/errors.js';
import type { Ec2Action } from '../describe.js';
import { applyFilters, parseFilters } from '../filters.js';
import type { Tags } from '../model.js';
import { optString, reqString, stringList, tagsFor } from '../params.js';
import { tagSet } from '../views.js';

/** A security group: its rules are accepted by the API and not enforced (nothing in the sim filters traffic). */
export interface SecurityGroup {
  seq: number;
  tags: Tags;
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
}

const GROUP_NAME = /^[\x20-\x7e]{1,255}$/;

function view(world: { accountId: string }, group: SecurityGroup) {
  return {
    groupId: group.groupId,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    ownerId: world.accountId,
    ipPermissions: [],
    ipPermissionsEgress: [
      { ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0' }], ipv6Ranges: [], prefixListIds: [], groups: [] },
    ],
    tagSet: tagSet(group.tags),
  };
}

/** CreateSecurityGroup, DescribeSecurityGroups and DeleteSecurityGroup (VPC groups only, as EC2 today). */
export const securityGroupActions: Record<string, Ec2Action> = {
  CreateSecurityGroup: (world, params) => {
    const groupName = reqString(params, 'GroupName');
    const description = reqString(params, 'GroupDescription');
    const vpcId = optString(params, 'VpcId');
    // Without a VpcId, EC2 uses the default VPC, which the simulation does not model.
    if (!vpcId) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
    world.get('vpc', vpcId);
    if (!GROUP_NAME.test(groupName) || groupName.toLowerCase().startsWith('sg-')) {
      throw new AwsError('InvalidParameterValue', `Invalid security group name: ${groupName}`);
    }
    const groups = world.state.securityGroups;
    if ([...groups.values()].some((g) => g.vpcId === vpcId && g.groupName === groupName)) {
      throw new AwsError(
        'InvalidGroup.Duplicate',
        `The security group '${groupName}' already exists for VPC '${vpcId}'`,
      );
    }
    const group: SecurityGroup = {
      seq: world.ids.seq(),
      tags: tagsFor(params, 'security-group'),
      groupId: world.ids.next('securityGroup'),
      groupName,
      description,
      vpcId,
    };
    groups.set(group.groupId, group);
    return { groupId: group.groupId, tagSet: tagSet(group.tags) };
  },

  DescribeSecurityGroups: (world, params) => {
    const ids = stringList(params, 'GroupId');
    const names = stringList(params, 'GroupName');
    const all = [...world.state.securityGroups.values()];
    for (const id of ids) {
      if (!world.state.securityGroups.has(id))
        throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    }
    for (const name of names) {
      if (!all.some((g) => g.groupName === name))
        throw new AwsError('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC`);
    }
    const selected = all.filter(
      (g) => (ids.length === 0 || ids.includes(g.groupId)) && (names.length === 0 || names.includes(g.groupName)),
    );
    const items = applyFilters(selected, parseFilters(params), {
      'group-id': (g) => [g.groupId],
      'group-name': (g) => [g.groupName],
      'vpc-id': (g) => [g.vpcId],
      description: (g) => [g.description],
      'owner-id': () => [world.accountId],
    });
    return { securityGroupInfo: items.map((g) => view(world, g)) };
  },

  DeleteSecurityGroup: (world, params) => {
    const id = reqString(params, 'GroupId');
    if (!world.state.securityGroups.delete(id))
      throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return { return: true, groupId: id };
  },
};
