import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import { GROUP_TAG } from './ec2-routes.js';

/**
 * Which of these instances carry the group's tag (EC2 state-change events and alarms carry no tags).
 * An instance EC2 does not know is not a member.
 */
export async function groupMembers(instanceIds: string[], group: string): Promise<string[]> {
  const members: string[] = [];
  for (const instanceId of new Set(instanceIds)) {
    try {
      const { Reservations } = await ec2Client().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const tags = Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
      if (tags.some((t) => t.Key === GROUP_TAG && t.Value === group)) members.push(instanceId);
    } catch (err) {
      if ((err as { name?: string }).name === 'InvalidInstanceID.NotFound') continue;
      return classifyAwsError(err, `checking whether ${instanceId} belongs to group ${group}`);
    }
  }
  return members;
}
