import { isIPv4, isIPv6 } from 'node:net';
import { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import {
  type ActionHandler,
  type JsonService,
  type RequestContext,
  SIM_ACCOUNT_ID,
  SIM_DEFAULT_REGION,
} from '../../core/service.js';
import { derivedVpcId, endpointArn, ResolverIds, ruleArn } from './ids.js';
import { applyFilters, paginate } from './listing.js';
import type {
  EndpointDirection,
  EndpointIpAddress,
  ResolverEndpoint,
  ResolverRule,
  ResolverRuleAssociation,
  RuleType,
  Stored,
  StoredEndpoint,
  Tag,
  TargetProtocol,
} from './model.js';
import {
  invalidParameter,
  invalidRequest,
  MAX_TAGS,
  normaliseDomainName,
  oneOf,
  optionalName,
  requiredString,
  sameDomain,
  stringList,
  tagList,
  targetAddresses,
  vpcId,
} from './validation.js';

export interface ResolverServiceOptions {
  /** Whether a VPC exists (AssociateResolverRule); by default any well-formed `vpc-` id does. */
  vpcExists?: (vpcId: string) => boolean;
  /** Whether an EC2 security group exists; CreateResolverEndpoint refuses one that does not. */
  securityGroupExists?: (groupId: string) => boolean;
  /** The VPC of a subnet (CreateResolverEndpoint's HostVPCId); by default one derived from the subnet id. */
  subnetVpcId?: (subnetId: string) => string | undefined;
  /**
   * Simulated ms an association stays CREATING before COMPLETE, and DELETING before it is gone.
   * 0 (the default): the answer to Associate/Disassociate says CREATING/DELETING, as AWS's does,
   * and the change is complete for the next call. Above 0 the change completes on the sim clock.
   */
  associationDelayMs?: number;
  /** Seed of the deterministic ids. */
  idSeed?: string;
}

/** Default per-region quotas of Route 53 Resolver. */
export const RESOLVER_LIMITS = {
  endpointsPerRegion: 4,
  ipAddressesPerEndpoint: 6,
  rulesPerRegion: 1000,
  associationsPerRegion: 2000,
} as const;

type Ctx = Pick<RequestContext, 'region' | 'accountId' | 'clock'>;
type Params = Record<string, unknown>;

/**
 * Route 53 Resolver (awsJson1_1, target prefix Route53Resolver): outbound and inbound endpoints,
 * FORWARD and SYSTEM rules, rule-to-VPC associations and tags, with AWS's error types.
 */
export class ResolverService implements JsonService {
  readonly name = 'route53resolver';
  readonly protocol = 'json';
  readonly targetPrefix = 'Route53Resolver';
  readonly jsonVersion = '1.1';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };

  private endpoints = new Map<string, StoredEndpoint>();
  private rules = new Map<string, Stored<ResolverRule>>();
  private associations = new Map<string, Stored<ResolverRuleAssociation>>();
  private seq = 0;
  private readonly ids: ResolverIds;
  /** The sim's clock as last seen on a request; control routes, which get no context, use it. */
  private clock = new SimClock();

  constructor(private readonly options: ResolverServiceOptions = {}) {
    this.ids = new ResolverIds(options.idSeed);
  }

  readonly actions: Record<string, ActionHandler> = {
    CreateResolverEndpoint: (p: Params, ctx: Ctx) => ({ ResolverEndpoint: this.createEndpoint(p, this.seen(ctx)) }),
    GetResolverEndpoint: (p: Params, ctx: Ctx) => ({
      ResolverEndpoint: { ...this.endpoint(requiredString(p, 'ResolverEndpointId', 64), this.seen(ctx)).item },
    }),
    ListResolverEndpoints: (p: Params, ctx: Ctx) => this.listEndpoints(p, this.seen(ctx)),
    DeleteResolverEndpoint: (p: Params, ctx: Ctx) => ({ ResolverEndpoint: this.deleteEndpoint(p, this.seen(ctx)) }),
    CreateResolverRule: (p: Params, ctx: Ctx) => ({ ResolverRule: this.createRule(p, this.seen(ctx), false) }),
    GetResolverRule: (p: Params, ctx: Ctx) => ({
      ResolverRule: copyRule(this.rule(requiredString(p, 'ResolverRuleId', 64), this.seen(ctx), true).item),
    }),
    ListResolverRules: (p: Params, ctx: Ctx) => this.listRules(p, this.seen(ctx)),
    UpdateResolverRule: (p: Params, ctx: Ctx) => ({ ResolverRule: this.updateRule(p, this.seen(ctx)) }),
    DeleteResolverRule: (p: Params, ctx: Ctx) => ({ ResolverRule: this.deleteRule(p, this.seen(ctx)) }),
    AssociateResolverRule: (p: Params, ctx: Ctx) => ({ ResolverRuleAssociation: this.associate(p, this.seen(ctx)) }),
    DisassociateResolverRule: (p: Params, ctx: Ctx) => ({
      ResolverRuleAssociation: this.disassociate(p, this.seen(ctx)),
    }),
    GetResolverRuleAssociation: (p: Params, ctx: Ctx) => ({
      ResolverRuleAssociation: { ...this.association(p, this.seen(ctx)).item },
    }),
    ListResolverRuleAssociations: (p: Params, ctx: Ctx) => this.listAssociations(p, this.seen(ctx)),
    TagResource: (p: Params, ctx: Ctx) => this.tagResource(p, this.seen(ctx)),
    UntagResource: (p: Params, ctx: Ctx) => this.untagResource(p, this.seen(ctx)),
    ListTagsForResource: (p: Params, ctx: Ctx) => this.listTags(p, this.seen(ctx)),
  };

  /** Takes the sim's clock when the server offers it, so control routes see simulated time too. */
  attach(server: { clock: SimClock }): void {
    this.clock = server.clock;
  }

  reset(): void {
    this.endpoints.clear();
    this.rules.clear();
    this.associations.clear();
    this.seq = 0;
    this.ids.reset();
  }

  snapshot(): unknown {
    return {
      endpoints: [...this.endpoints.values()].map((e) => ({
        ...e.item,
        Region: e.region,
        IpAddresses: e.ipAddresses.map((ip) => ({ ...ip })),
        Tags: tagsOf(e),
      })),
      rules: [...this.rules.values()].map((r) => ({
        ...copyRule(r.item),
        Region: r.region,
        Tags: tagsOf(r),
        Associations: [...this.associations.values()]
          .filter((a) => a.item.ResolverRuleId === r.item.Id)
          .map((a) => ({ ...a.item })),
      })),
    };
  }

  /**
   * Scenario routes under /_sim/route53resolver/: `GET state`; `POST rules` (CreateResolverRule's
   * input, plus `Region`, and RuleType RECURSIVE allowed: a rule made outside the product);
   * `POST associations` (AssociateResolverRule's input, COMPLETE at once); `POST endpoints`.
   */
  control(method: string, subpath: string, body: unknown): unknown {
    const input = (body ?? {}) as Params;
    const ctx: Ctx = {
      region: typeof input.Region === 'string' ? input.Region : SIM_DEFAULT_REGION,
      accountId: SIM_ACCOUNT_ID,
      clock: this.clock,
    };
    if (method === 'GET' && (subpath === '' || subpath === 'state')) return this.snapshot();
    if (method === 'POST' && subpath === 'rules') return this.createRule(input, ctx, true);
    if (method === 'POST' && subpath === 'endpoints') return this.createEndpoint(input, ctx);
    if (method === 'POST' && subpath === 'associations') {
      const created = this.associate(input, ctx);
      const stored = this.associations.get(created.Id);
      if (stored) stored.item.Status = 'COMPLETE';
      return stored ? { ...stored.item } : created;
    }
    throw new Error(`no control route ${method} /_sim/route53resolver/${subpath}`);
  }

  /** The VPC an endpoint's network interfaces are in (the path its forwarded queries take), or undefined. */
  endpointVpcId(endpointId: string): string | undefined {
    return this.endpoints.get(endpointId)?.item.HostVPCId;
  }

  /** The rules a VPC's DNS queries are matched against: COMPLETE associations in a region. */
  associatedRules(vpc: string, region = SIM_DEFAULT_REGION): ResolverRule[] {
    return [...this.associations.values()]
      .filter((a) => a.region === region && a.item.VPCId === vpc && a.item.Status === 'COMPLETE')
      .map((a) => this.rules.get(a.item.ResolverRuleId))
      .filter((r): r is Stored<ResolverRule> => r !== undefined)
      .map((r) => copyRule(r.item));
  }

  private seen(ctx: Ctx): Ctx {
    this.clock = ctx.clock;
    return ctx;
  }

  // ---- endpoints

  private createEndpoint(p: Params, ctx: Ctx): ResolverEndpoint {
    const creatorRequestId = requiredString(p, 'CreatorRequestId');
    const name = optionalName(p);
    const direction = oneOf<EndpointDirection>(p, 'Direction', ['INBOUND', 'OUTBOUND']);
    const securityGroupIds = stringList(p, 'SecurityGroupIds');
    const bad = securityGroupIds.find((id) => !/^sg-[0-9a-f]{8,17}$/.test(id));
    if (bad) throw invalidParameter(`The security group '${bad}' does not exist`);
    // A well-formed id of a group that does not exist: moto answers ResourceNotFoundException (AWS's
    // answer is not documented; inferred).
    const unknownGroup = this.options.securityGroupExists
      ? securityGroupIds.find((id) => !this.options.securityGroupExists?.(id))
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
    if (requested.length > RESOLVER_LIMITS.ipAddressesPerEndpoint) {
      throw new AwsError(
        'LimitExceededException',
        `The resolver endpoint can have at most ${RESOLVER_LIMITS.ipAddressesPerEndpoint} IP addresses.`,
      );
    }
    const inRegion = this.inRegion(this.endpoints, ctx);
    if (inRegion.some((e) => e.item.CreatorRequestId === creatorRequestId)) {
      throw new AwsError(
        'ResourceExistsException',
        `Resolver Endpoint with creator request id ${creatorRequestId} already exists`,
      );
    }
    if (inRegion.length >= RESOLVER_LIMITS.endpointsPerRegion) {
      throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-endpoints'`);
    }
    const id = this.ids.next(direction === 'OUTBOUND' ? 'rslvr-out-' : 'rslvr-in-');
    const ipAddresses = requested.map((raw, index) => this.endpointIp(raw, index));
    const ips = ipAddresses.map((ip) => ip.Ip ?? ip.Ipv6);
    if (new Set(ips).size !== ips.length)
      throw invalidRequest('The IP addresses of a resolver endpoint must be unique.');
    const vpcs = new Set(ipAddresses.map((ip) => this.vpcOfSubnet(ip.SubnetId, ipAddresses[0]?.SubnetId ?? '')));
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
    this.endpoints.set(id, { seq: this.seq++, region: ctx.region, tags: tagMap(tags), item, ipAddresses });
    return { ...item };
  }

  private endpointIp(raw: unknown, index: number): EndpointIpAddress {
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
    const n = this.seq * 8 + index;
    const ip =
      request.Ip ?? (request.Ipv6 === undefined ? `10.255.${Math.floor(n / 254) % 256}.${(n % 254) + 1}` : undefined);
    return {
      IpId: this.ids.next('rni-'),
      SubnetId: subnetId,
      ...(ip !== undefined ? { Ip: ip as string } : {}),
      ...(request.Ipv6 !== undefined ? { Ipv6: request.Ipv6 as string } : {}),
    };
  }

  /** Without a subnetVpcId hook every subnet is taken to be in one stand-in VPC named after the first. */
  private vpcOfSubnet(subnetId: string, firstSubnetId: string): string {
    if (!this.options.subnetVpcId) return derivedVpcId(firstSubnetId);
    const vpc = this.options.subnetVpcId(subnetId);
    if (!vpc) throw invalidParameter(`The subnet ID '${subnetId}' does not exist`);
    return vpc;
  }

  private endpoint(id: string, ctx: Ctx): StoredEndpoint {
    const stored = this.endpoints.get(id);
    if (!stored || stored.region !== ctx.region) {
      throw new AwsError('ResourceNotFoundException', `Resolver endpoint with ID '${id}' does not exist.`);
    }
    return stored;
  }

  private listEndpoints(p: Params, ctx: Ctx): unknown {
    const matching = applyFilters(this.inRegion(this.endpoints, ctx), p.Filters, {
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

  private deleteEndpoint(p: Params, ctx: Ctx): ResolverEndpoint {
    const stored = this.endpoint(requiredString(p, 'ResolverEndpointId', 64), ctx);
    const dependants = [...this.rules.values()].filter((r) => r.item.ResolverEndpointId === stored.item.Id);
    if (dependants.length > 0) {
      throw invalidRequest(
        `[RSLVR-00600] Cannot delete resolver endpoint unless its related resolver rules are deleted. The following rules still exist for this resolver endpoint: ${dependants.map((r) => `"${r.item.Id}"`).join(', ')}`,
      );
    }
    this.endpoints.delete(stored.item.Id);
    return { ...stored.item, Status: 'DELETING', StatusMessage: 'Deleting this Resolver Endpoint.' };
  }

  // ---- rules

  private createRule(p: Params, ctx: Ctx, outsideProduct: boolean): ResolverRule {
    const creatorRequestId = requiredString(p, 'CreatorRequestId');
    const name = optionalName(p);
    const ruleType = oneOf<RuleType>(p, 'RuleType', ['FORWARD', 'SYSTEM', 'RECURSIVE']);
    if (ruleType === 'RECURSIVE' && !outsideProduct) {
      throw invalidRequest('[RSLVR-00718] Cannot create a rule with type RECURSIVE');
    }
    const domainName = normaliseDomainName(p.DomainName);
    const tags = tagList(p.Tags);
    const forward = this.forwardConfig(ruleType, p.TargetIps, p.ResolverEndpointId, ctx);
    if (ruleType === 'FORWARD' && (!forward.TargetIps || !forward.ResolverEndpointId)) {
      throw invalidRequest(
        forward.TargetIps
          ? 'A rule of type FORWARD needs a ResolverEndpointId.'
          : 'A rule of type FORWARD needs at least one target IP address.',
      );
    }
    const inRegion = this.inRegion(this.rules, ctx);
    // AWS answers a repeated CreatorRequestId with an error, not with the rule it already made.
    if (inRegion.some((r) => r.item.CreatorRequestId === creatorRequestId)) {
      throw new AwsError(
        'ResourceExistsException',
        `Resolver Rule with creator request id ${creatorRequestId} already exists`,
      );
    }
    if (inRegion.length >= RESOLVER_LIMITS.rulesPerRegion) {
      throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-rules'`);
    }
    const id = this.ids.next('rslvr-rr-');
    const now = ctx.clock.iso();
    const item: ResolverRule = {
      Id: id,
      CreatorRequestId: creatorRequestId,
      Arn: ruleArn(ctx.region, ctx.accountId, id),
      DomainName: domainName,
      Status: 'COMPLETE',
      StatusMessage: 'Successfully created Resolver Rule',
      RuleType: ruleType,
      ...(name !== undefined ? { Name: name } : {}),
      ...forward,
      OwnerId: ctx.accountId,
      ShareStatus: 'NOT_SHARED',
      CreationTime: now,
      ModificationTime: now,
    };
    this.rules.set(id, { seq: this.seq++, region: ctx.region, tags: tagMap(tags), item });
    return copyRule(item);
  }

  /** TargetIps and ResolverEndpointId are for FORWARD rules only; the endpoint must be an outbound one. */
  private forwardConfig(
    ruleType: RuleType,
    targets: unknown,
    endpointId: unknown,
    ctx: Ctx,
  ): Pick<ResolverRule, 'TargetIps' | 'ResolverEndpointId'> {
    if (ruleType !== 'FORWARD') {
      if (targets !== undefined) throw invalidRequest(`Target IPs can be specified only for rules of type FORWARD.`);
      if (endpointId !== undefined) {
        throw invalidRequest('A resolver endpoint can be specified only for rules of type FORWARD.');
      }
      return {};
    }
    const config: Pick<ResolverRule, 'TargetIps' | 'ResolverEndpointId'> = {};
    if (targets !== undefined) config.TargetIps = targetAddresses(targets);
    if (endpointId !== undefined) {
      const id = requiredString({ ResolverEndpointId: endpointId }, 'ResolverEndpointId', 64);
      const endpoint = this.endpoint(id, ctx);
      if (endpoint.item.Direction !== 'OUTBOUND') {
        throw invalidRequest(`Resolver endpoint ${id} is not an OUTBOUND endpoint; FORWARD rules need one.`);
      }
      config.ResolverEndpointId = id;
    }
    return config;
  }

  private rule(id: string, ctx: Ctx, readOnly = false): Stored<ResolverRule> {
    if (id === INTERNET_RESOLVER_RULE_ID) {
      if (readOnly) return internetResolverRule(ctx.region);
      // Inferred: AWS refuses changes to autodefined rules; the exact code and text are not documented.
      throw new AwsError(
        'InvalidRequestException',
        `Resolver rule ${id} is an autodefined rule and cannot be changed.`,
      );
    }
    const stored = this.rules.get(id);
    if (!stored || stored.region !== ctx.region) {
      throw new AwsError('ResourceNotFoundException', `Resolver rule with ID '${id}' does not exist.`);
    }
    return stored;
  }

  private listRules(p: Params, ctx: Ctx): unknown {
    const all = [internetResolverRule(ctx.region), ...this.inRegion(this.rules, ctx)];
    const matching = applyFilters(all, p.Filters, {
      CreatorRequestId: (r, v) => r.item.CreatorRequestId === v,
      // The API reference asks for the fully qualified name here (`example.com.`); without the dot nothing matches.
      DomainName: (r, v) => sameDomain(r.item.DomainName, v),
      Name: (r, v) => r.item.Name === v,
      ResolverEndpointId: (r, v) => r.item.ResolverEndpointId === v,
      Status: (r, v) => r.item.Status === v,
      Type: (r, v) => r.item.RuleType === v,
    });
    const page = paginate(matching, p, 'rules');
    return {
      MaxResults: page.maxResults,
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      ResolverRules: page.items.map((r) => copyRule(r.item)),
    };
  }

  private updateRule(p: Params, ctx: Ctx): ResolverRule {
    const stored = this.rule(requiredString(p, 'ResolverRuleId', 64), ctx);
    if (p.Config === null || typeof p.Config !== 'object' || Array.isArray(p.Config)) {
      throw invalidParameter(
        "1 validation error detected: Value null at 'config' failed to satisfy constraint: Member must not be null",
      );
    }
    const config = p.Config as Params;
    const name = optionalName(config);
    const forward = this.forwardConfig(stored.item.RuleType, config.TargetIps, config.ResolverEndpointId, ctx);
    // AWS passes through UPDATING for a moment; the sim's rule is COMPLETE again at once.
    if (name !== undefined) stored.item.Name = name;
    if (forward.TargetIps) stored.item.TargetIps = forward.TargetIps;
    if (forward.ResolverEndpointId) stored.item.ResolverEndpointId = forward.ResolverEndpointId;
    stored.item.ModificationTime = ctx.clock.iso();
    stored.item.StatusMessage = 'Successfully updated Resolver Rule';
    return copyRule(stored.item);
  }

  private deleteRule(p: Params, ctx: Ctx): ResolverRule {
    const stored = this.rule(requiredString(p, 'ResolverRuleId', 64), ctx);
    const vpcs = [...this.associations.values()]
      .filter((a) => a.item.ResolverRuleId === stored.item.Id)
      .map((a) => a.item.VPCId);
    if (vpcs.length > 0) {
      throw new AwsError(
        'ResourceInUseException',
        `Cannot delete resolver rule ${stored.item.Id}: it is still associated with ${vpcs.join(', ')}. Disassociate it first.`,
      );
    }
    this.rules.delete(stored.item.Id);
    return { ...copyRule(stored.item), Status: 'DELETING', StatusMessage: 'Deleting this Resolver Rule' };
  }

  // ---- associations

  private associate(p: Params, ctx: Ctx): ResolverRuleAssociation {
    const ruleId = requiredString(p, 'ResolverRuleId', 64);
    const vpc = vpcId(p);
    const name = optionalName(p);
    const rule = this.rule(ruleId, ctx);
    if (this.options.vpcExists && !this.options.vpcExists(vpc)) {
      throw invalidParameter(`The vpc ID '${vpc}' does not exist`);
    }
    const inVpc = this.inRegion(this.associations, ctx).filter((a) => a.item.VPCId === vpc);
    // A repeat of an association that exists is refused like any other rule for the same domain in the
    // VPC: InvalidRequestException [RSLVR-00802] naming the rule itself. Not documented; it is what users
    // of other Resolver tooling report after a retried call, and what moto answers.
    const clash = inVpc.find((a) => {
      const other = this.rules.get(a.item.ResolverRuleId);
      return other !== undefined && sameDomain(other.item.DomainName, rule.item.DomainName);
    });
    if (clash) {
      throw invalidRequest(
        `[RSLVR-00802] Cannot associate rules with same domain name with same VPC. Conflict with resolver rule "${clash.item.ResolverRuleId}"`,
      );
    }
    if (this.inRegion(this.associations, ctx).length >= RESOLVER_LIMITS.associationsPerRegion) {
      throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-rule-associations'`);
    }
    const id = this.ids.next('rslvr-rrassoc-');
    const item: ResolverRuleAssociation = {
      Id: id,
      ResolverRuleId: ruleId,
      ...(name !== undefined ? { Name: name } : {}),
      VPCId: vpc,
      Status: 'CREATING',
      StatusMessage: '[Trace id: sim] Creating the association.',
    };
    const stored = { seq: this.seq++, region: ctx.region, tags: new Map<string, string>(), item };
    this.associations.set(id, stored);
    const answer = { ...item };
    this.later(ctx, () => {
      if (this.associations.get(id) !== stored || stored.item.Status !== 'CREATING') return;
      stored.item.Status = 'COMPLETE';
      stored.item.StatusMessage = '';
    });
    return answer;
  }

  private disassociate(p: Params, ctx: Ctx): ResolverRuleAssociation {
    const ruleId = requiredString(p, 'ResolverRuleId', 64);
    const vpc = vpcId(p);
    this.rule(ruleId, ctx);
    const stored = this.inRegion(this.associations, ctx).find(
      (a) => a.item.ResolverRuleId === ruleId && a.item.VPCId === vpc,
    );
    if (!stored) {
      throw new AwsError('ResourceNotFoundException', `Resolver rule ${ruleId} is not associated with VPC ${vpc}.`);
    }
    stored.item.Status = 'DELETING';
    stored.item.StatusMessage = '[Trace id: sim] Deleting Association';
    const answer = { ...stored.item };
    this.later(ctx, () => {
      if (this.associations.get(stored.item.Id) === stored) this.associations.delete(stored.item.Id);
    });
    return answer;
  }

  /** Runs a state change after the association delay on the sim clock, or at once when there is none. */
  private later(ctx: Ctx, change: () => void): void {
    const delay = this.options.associationDelayMs ?? 0;
    if (delay <= 0) change();
    else ctx.clock.schedule(ctx.clock.now() + delay, change);
  }

  private association(p: Params, ctx: Ctx): Stored<ResolverRuleAssociation> {
    const id = requiredString(p, 'ResolverRuleAssociationId', 64);
    const stored = this.associations.get(id);
    if (!stored || stored.region !== ctx.region) {
      throw new AwsError('ResourceNotFoundException', `ResolverRuleAssociation with ID '${id}' does not exist.`);
    }
    return stored;
  }

  private listAssociations(p: Params, ctx: Ctx): unknown {
    const matching = applyFilters(this.inRegion(this.associations, ctx), p.Filters, {
      Name: (a, v) => a.item.Name === v,
      ResolverRuleId: (a, v) => a.item.ResolverRuleId === v,
      Status: (a, v) => a.item.Status === v,
      VPCId: (a, v) => a.item.VPCId === v,
    });
    const page = paginate(matching, p, 'associations');
    return {
      MaxResults: page.maxResults,
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      ResolverRuleAssociations: page.items.map((a) => ({ ...a.item })),
    };
  }

  // ---- tags

  private tagged(p: Params, ctx: Ctx): Stored<ResolverRule> | StoredEndpoint {
    const arn = requiredString(p, 'ResourceArn');
    const found = [...this.rules.values(), ...this.endpoints.values()].find(
      (s) => s.item.Arn === arn && s.region === ctx.region,
    );
    if (!found) throw new AwsError('ResourceNotFoundException', `Resolver resource with ARN '${arn}' does not exist.`);
    return found;
  }

  private tagResource(p: Params, ctx: Ctx): unknown {
    const stored = this.tagged(p, ctx);
    const tags = tagList(p.Tags);
    if (tags.length === 0) {
      throw invalidParameter(
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
      );
    }
    const merged = new Map(stored.tags);
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    if (merged.size > MAX_TAGS) {
      throw new AwsError('LimitExceededException', `A resource can have at most ${MAX_TAGS} tags.`);
    }
    stored.tags = merged;
    return {};
  }

  private untagResource(p: Params, ctx: Ctx): unknown {
    const stored = this.tagged(p, ctx);
    for (const key of stringList(p, 'TagKeys')) stored.tags.delete(key);
    return {};
  }

  private listTags(p: Params, ctx: Ctx): unknown {
    const stored = this.tagged(p, ctx);
    const tags = tagsOf(stored).map((tag, seq) => ({ seq, tag }));
    const page = paginate(tags, p, `tags:${stored.item.Arn}`);
    return { Tags: page.items.map((t) => t.tag), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
  }

  private inRegion<T extends { region: string }>(map: Map<string, T>, ctx: Ctx): T[] {
    return [...map.values()].filter((s) => s.region === ctx.region);
  }
}

/** The id of the rule Route 53 Resolver defines in every region for recursive resolution of everything else. */
export const INTERNET_RESOLVER_RULE_ID = 'rslvr-autodefined-rr-internet-resolver';

/**
 * The built-in "Internet Resolver" rule that ListResolverRules always lists first. Its fields (an
 * ARN without account, domain ".", type RECURSIVE, owner "Route 53 Resolver") are as the AWS CLI
 * shows it in users' reports, inferred: the API reference does not list it. It cannot be changed,
 * deleted or associated here (the update, delete and associate paths find no such stored rule).
 */
function internetResolverRule(region: string): Stored<ResolverRule> {
  return {
    seq: -1,
    region,
    tags: new Map(),
    item: {
      Id: INTERNET_RESOLVER_RULE_ID,
      CreatorRequestId: '',
      Arn: `arn:aws:route53resolver:${region}::autodefined-rule/${INTERNET_RESOLVER_RULE_ID}`,
      DomainName: '.',
      Status: 'COMPLETE',
      StatusMessage: '',
      RuleType: 'RECURSIVE',
      Name: 'Internet Resolver',
      OwnerId: 'Route 53 Resolver',
      ShareStatus: 'NOT_SHARED',
      CreationTime: '2019-11-01T00:00:00.000Z',
      ModificationTime: '2019-11-01T00:00:00.000Z',
    },
  };
}

function copyRule(rule: ResolverRule): ResolverRule {
  return { ...rule, ...(rule.TargetIps ? { TargetIps: rule.TargetIps.map((t) => ({ ...t })) } : {}) };
}

function tagMap(tags: Tag[]): Map<string, string> {
  return new Map(tags.map((t) => [t.Key, t.Value]));
}

function tagsOf(stored: { tags: Map<string, string> }): Tag[] {
  return [...stored.tags].map(([Key, Value]) => ({ Key, Value }));
}
