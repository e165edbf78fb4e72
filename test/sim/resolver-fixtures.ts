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

let counter = 0;

/** A request id no other test uses. */
export function uniqueRequestId(label = 'req'): string {
  counter++;
  return `${label}-${counter}`;
}

export async function createOutboundEndpoint(client: Route53ResolverClient): Promise<string> {
  const created = await client.send(
    new CreateResolverEndpointCommand({
      CreatorRequestId: uniqueRequestId('endpoint'),
      Direction: 'OUTBOUND',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      IpAddresses: [{ SubnetId: 'subnet-0aaaaaaaaaaaaaaaa' }, { SubnetId: 'subnet-0bbbbbbbbbbbbbbbb' }],
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
