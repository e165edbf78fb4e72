import { isIPv4, isIPv6 } from 'node:net';
import { AwsError } from '../../core/errors.js';
import { derivedVpcId, endpointArn } from './ids.js';
import { applyFilters, paginate } from './listing.js';
import type { EndpointDirection, EndpointIpAddress, ResolverEndpoint, TargetProtocol } from './model.js';
import { type Ctx, type Params, type ResolverStore, tagMap } from './store.js';
import {
  invalidParameter,
  invalidRequest,
  oneOf,
  optionalName,
  requiredString,
  stringList,
  tagList,
} from './validation.js';

/** CreateResolverEndpoint: at least two addresses, in one VPC, unique; OPERATIONAL at once. */
export function createEndpoint(store: ResolverStore, p: Params, ctx: Ctx): ResolverEndpoint {
  const creatorRequestId = requiredString(p, 'CreatorRequestId');
  const name = optionalName(p);
  const direction = oneOf<EndpointDirection>(p, 'Direction', ['INBOUND', 'OUTBOUND']);
  const securityGroupIds = stringList(p, 'SecurityGroupIds');
  const bad = securityGroupIds.find((id) => !/^sg-[0-9a-f]{8,17}$/.test(id));
  if (bad) throw invalidParameter(`The security group '${bad}' does not exist`);
  // A well-formed id of a group that does not exist: moto answers ResourceNotFoundException (AWS's
  // answer is not documented; inferred).
  const unknownGroup = store.options.securityGroupExists
    ? securityGroupIds.find((id) => !store.options.securityGroupExists?.(id))
    : undefined;
  if (unknownGroup)
    throw new AwsError('ResourceNotFoundException', `The security group '${unknownGroup}' does not exist`);
  const endpointType =
    p.ResolverEndpointType === undefined
      ? 'IPV4'
      : oneOf(p, 'ResolverEndpointType', ['IPV4', 'IPV6', 'DUALSTACK'] as const);
  const protocols = (p.Protocols ?? ['Do53']) as TargetProtocol[];
  if (!Array.isArray(protocols) || protocols.some((x) => !['Do53', 'DoH', 'DoH-FIPS'].includes(x))) {
    throw invalidParameter(`Invalid Protocols: ${JSON.stringify(p.Protocols)}`);
  }
  const tags = tagList(p.Tags);
  const requested = p.IpAddresses;
  if (!Array.isArray(requested) || requested.length < 1) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'ipAddresses' failed to satisfy constraint: Member must not be null",
    );
  }
  // The API reference: "Even though the minimum is 1, Route 53 requires that you create at least two."
  if (requested.length < 2) throw invalidRequest('Resolver endpoint needs to have at least 2 IP addresses.');
  if (requested.length > store.quotas.ipAddressesPerEndpoint) {
    throw new AwsError(
      'LimitExceededException',
      `The resolver endpoint can have at most ${store.quotas.ipAddressesPerEndpoint} IP addresses.`,
    );
  }
  const inRegion = store.inRegion(store.endpoints, ctx);
  if (inRegion.some((e) => e.item.CreatorRequestId === creatorRequestId)) {
    throw new AwsError(
      'ResourceExistsException',
      `Resolver Endpoint with creator request id ${creatorRequestId} already exists`,
    );
  }
  if (inRegion.length >= store.quotas.endpointsPerRegion) {
    throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-endpoints'`);
  }
  const id = store.ids.next(direction === 'OUTBOUND' ? 'rslvr-out-' : 'rslvr-in-');
  const ipAddresses = requested.map((raw, index) => endpointIp(store, raw, index));
  const ips = ipAddresses.map((ip) => ip.Ip ?? ip.Ipv6);
  if (new Set(ips).size !== ips.length) throw invalidRequest('The IP addresses of a resolver endpoint must be unique.');
  const vpcs = new Set(ipAddresses.map((ip) => vpcOfSubnet(store, ip.SubnetId, ipAddresses[0]?.SubnetId ?? '')));
  if (vpcs.size > 1) throw invalidRequest('All the subnets of a resolver endpoint must be in the same VPC.');
  const now = ctx.clock.iso();
  const item: ResolverEndpoint = {
    Id: id,
    CreatorRequestId: creatorRequestId,
    Arn: endpointArn(ctx.region, ctx.accountId, id),
    ...(name !== undefined ? { Name: name } : {}),
    SecurityGroupIds: [...securityGroupIds],
    Direction: direction,
    IpAddressCount: ipAddresses.length,
    HostVPCId: [...vpcs][0] as string,
    // AWS spends minutes in CREATING; the sim's endpoints are OPERATIONAL at once.
    Status: 'OPERATIONAL',
    StatusMessage: 'This Resolver Endpoint is operational.',
    CreationTime: now,
    ModificationTime: now,
    ResolverEndpointType: endpointType,
    Protocols: [...protocols],
  };
  store.endpoints.set(id, { seq: store.nextSeq(), region: ctx.region, tags: tagMap(tags), item, ipAddresses });
  return { ...item };
}

function endpointIp(store: ResolverStore, raw: unknown, index: number): EndpointIpAddress {
  const request = (raw ?? {}) as Params;
  const subnetId = requiredString(request, 'SubnetId', 32);
  if (!/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) throw invalidParameter(`The subnet ID '${subnetId}' does not exist`);
  if (request.Ip !== undefined && (typeof request.Ip !== 'string' || !isIPv4(request.Ip))) {
    throw invalidParameter(`[ipAddresses.${index + 1}.ip] ${String(request.Ip)} is not a valid IPv4 address`);
  }
  if (request.Ipv6 !== undefined && (typeof request.Ipv6 !== 'string' || !isIPv6(request.Ipv6))) {
    throw invalidParameter(`[ipAddresses.${index + 1}.ipv6] ${String(request.Ipv6)} is not a valid IPv6 address`);
  }
  // AWS picks a free address of the subnet when none is given; the sim, which knows no CIDRs, picks 10.255.x.y.
  const n = store.peekSeq() * 8 + index;
  const ip =
    request.Ip ?? (request.Ipv6 === undefined ? `10.255.${Math.floor(n / 254) % 256}.${(n % 254) + 1}` : undefined);
  return {
    IpId: store.ids.next('rni-'),
    SubnetId: subnetId,
    ...(ip !== undefined ? { Ip: ip as string } : {}),
    ...(request.Ipv6 !== undefined ? { Ipv6: request.Ipv6 as string } : {}),
  };
}

/** Without a subnetVpcId hook every subnet is taken to be in one stand-in VPC named after the first. */
function vpcOfSubnet(store: ResolverStore, subnetId: string, firstSubnetId: string): string {
  if (!store.options.subnetVpcId) return derivedVpcId(firstSubnetId);
  const vpc = store.options.subnetVpcId(subnetId);
  if (!vpc) throw invalidParameter(`The subnet ID '${subnetId}' does not exist`);
  return vpc;
}

export function getEndpoint(store: ResolverStore, p: Params, ctx: Ctx): ResolverEndpoint {
  return { ...store.endpoint(requiredString(p, 'ResolverEndpointId', 64), ctx).item };
}

export function listEndpoints(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const matching = applyFilters(store.inRegion(store.endpoints, ctx), p.Filters, {
    CreatorRequestId: (e, v) => e.item.CreatorRequestId === v,
    Direction: (e, v) => e.item.Direction === v,
    HostVPCId: (e, v) => e.item.HostVPCId === v,
    IpAddressCount: (e, v) => String(e.item.IpAddressCount) === v,
    Name: (e, v) => e.item.Name === v,
    SecurityGroupIds: (e, v) => e.item.SecurityGroupIds.includes(v),
    Status: (e, v) => e.item.Status === v,
  });
  const page = paginate(matching, p, 'endpoints');
  return {
    MaxResults: page.maxResults,
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    ResolverEndpoints: page.items.map((e) => ({ ...e.item })),
  };
}

/** DeleteResolverEndpoint: refused while rules still use the endpoint, as AWS refuses it. */
export function deleteEndpoint(store: ResolverStore, p: Params, ctx: Ctx): ResolverEndpoint {
  const stored = store.endpoint(requiredString(p, 'ResolverEndpointId', 64), ctx);
  const dependants = [...store.rules.values()].filter((r) => r.item.ResolverEndpointId === stored.item.Id);
  if (dependants.length > 0) {
    throw invalidRequest(
      `[RSLVR-00600] Cannot delete resolver endpoint unless its related resolver rules are deleted. The following rules still exist for this resolver endpoint: ${dependants.map((r) => `"${r.item.Id}"`).join(', ')}`,
    );
  }
  store.endpoints.delete(stored.item.Id);
  return { ...stored.item, Status: 'DELETING', StatusMessage: 'Deleting this Resolver Endpoint.' };
}
