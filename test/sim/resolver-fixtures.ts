import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateResolverEndpointCommand,
  CreateResolverRuleCommand,
  type CreateResolverRuleCommandInput,
  type ResolverRule,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import type { SimServer } from '../../sim/index.js';

/** Shared setup of the Route 53 Resolver conformance tests: real SDK clients against the sim. */

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

export function resolverClient(sim: SimServer): Route53ResolverClient {
  return new Route53ResolverClient({ endpoint: sim.endpoint, region: 'eu-west-2', credentials });
}

/** A VPC of the simulated EC2 service with two subnets in different availability zones. */
export interface Network {
  vpcId: string;
  subnetIds: [string, string];
  /** A security group of the VPC, as a Resolver endpoint needs one that exists. */
  securityGroupId: string;
}

/** The security group createNetwork made for each subnet's VPC, for createOutboundEndpoint. */
const securityGroupOfSubnet = new Map<string, string>();

/**
 * Creates a real VPC `<prefix>.0.0/16` with subnets `<prefix>.1.0/24` (zone a) and `<prefix>.2.0/24`
 * (zone b) through the EC2 API of the same sim: Route 53 Resolver checks VPC and subnet ids against
 * it. `sim.reset()` wipes EC2 too, so call this after any reset. Give a second network another prefix.
 */
export async function createNetwork(sim: SimServer, prefix = '10.0'): Promise<Network> {
  const ec2 = new EC2Client({ endpoint: sim.endpoint, region: 'eu-west-2', credentials });
  try {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }));
    const vpcId = vpc.Vpc?.VpcId as string;
    const subnetIds: string[] = [];
    for (const [third, zone] of [
      [1, 'a'],
      [2, 'b'],
    ] as const) {
      const subnet = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `${prefix}.${third}.0/24`,
          AvailabilityZone: `eu-west-2${zone}`,
        }),
      );
      subnetIds.push(subnet.Subnet?.SubnetId as string);
    }
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'resolver', Description: 'Resolver endpoint', VpcId: vpcId }),
    );
    const securityGroupId = GroupId as string;
    for (const id of subnetIds) securityGroupOfSubnet.set(id, securityGroupId);
    return { vpcId, subnetIds: subnetIds as [string, string], securityGroupId };
  } finally {
    ec2.destroy();
  }
}

/**
 * Well-formed ids that name no EC2 resource: for a standalone ResolverService without EC2 hooks,
 * which takes any well-formed id, and for tests that prove the wired sim refuses unknown ones.
 */
export const UNCHECKED_SUBNET_IDS: readonly [string, string] = ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'];
export const UNKNOWN_VPC_ID = 'vpc-0ffffffffffffffff';

let counter = 0;

/** A request id no other test uses. */
export function uniqueRequestId(label = 'req'): string {
  counter++;
  return `${label}-${counter}`;
}

/** An outbound endpoint with one IP address in each of the given subnets (two, as AWS requires). */
export async function createOutboundEndpoint(
  client: Route53ResolverClient,
  subnetIds: readonly string[],
): Promise<string> {
  const created = await client.send(
    new CreateResolverEndpointCommand({
      CreatorRequestId: uniqueRequestId('endpoint'),
      Direction: 'OUTBOUND',
      // The network's own group; a well-formed id for a standalone service that checks no EC2.
      SecurityGroupIds: [securityGroupOfSubnet.get(subnetIds[0] ?? '') ?? 'sg-0123456789abcdef0'],
      IpAddresses: subnetIds.map((SubnetId) => ({ SubnetId })),
    }),
  );
  return created.ResolverEndpoint?.Id as string;
}

export async function createForwardRule(
  client: Route53ResolverClient,
  endpointId: string,
  domainName: string,
  extra: Partial<CreateResolverRuleCommandInput> = {},
): Promise<ResolverRule> {
  const created = await client.send(
    new CreateResolverRuleCommand({
      CreatorRequestId: uniqueRequestId('rule'),
      RuleType: 'FORWARD',
      DomainName: domainName,
      ResolverEndpointId: endpointId,
      TargetIps: [{ Ip: '192.0.2.10' }],
      ...extra,
    }),
  );
  return created.ResolverRule as ResolverRule;
}

/** The error a rejected SDK call throws, for assertions on its name and message. */
export async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call succeeded but was expected to fail');
}
