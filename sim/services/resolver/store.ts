import { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import type { RequestContext } from '../../core/service.js';
import { ResolverIds } from './ids.js';
import type { ResolverRule, ResolverRuleAssociation, Stored, StoredEndpoint, Tag } from './model.js';

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
  /** Quotas raised above the defaults, as a granted Service Quotas increase raises them. */
  quotas?: Partial<ResolverQuotas>;
}

export interface ResolverQuotas {
  endpointsPerRegion: number;
  ipAddressesPerEndpoint: number;
  rulesPerRegion: number;
  associationsPerRegion: number;
}

/** Default per-region quotas of Route 53 Resolver. */
export const RESOLVER_LIMITS: Readonly<ResolverQuotas> = {
  endpointsPerRegion: 4,
  ipAddressesPerEndpoint: 6,
  rulesPerRegion: 1000,
  associationsPerRegion: 2000,
};

export type Ctx = Pick<RequestContext, 'region' | 'accountId' | 'clock'>;
export type Params = Record<string, unknown>;

/**
 * What Route 53 Resolver holds for the account: endpoints, rules and associations, each kept with its
 * region and tags, and the lookups that answer ResourceNotFoundException as AWS does. The actions on
 * each kind of resource live in endpoints.ts, rules.ts, associations.ts and tags.ts.
 */
export class ResolverStore {
  readonly endpoints = new Map<string, StoredEndpoint>();
  readonly rules = new Map<string, Stored<ResolverRule>>();
  readonly associations = new Map<string, Stored<ResolverRuleAssociation>>();
  readonly ids: ResolverIds;
  /** The quotas in force: the defaults, raised by the options or the `quotas` control route. */
  quotas: ResolverQuotas;
  /** The sim's clock as last seen on a request; control routes, which get no context, use it. */
  clock = new SimClock();
  private seq = 0;

  constructor(readonly options: ResolverServiceOptions = {}) {
    this.ids = new ResolverIds(options.idSeed);
    this.quotas = { ...RESOLVER_LIMITS, ...options.quotas };
  }

  /** The order resources were created in, which listings follow. */
  nextSeq(): number {
    return this.seq++;
  }

  /** The next sequence number without taking it (stand-in endpoint addresses are derived from it). */
  peekSeq(): number {
    return this.seq;
  }

  reset(): void {
    this.endpoints.clear();
    this.rules.clear();
    this.associations.clear();
    this.seq = 0;
    this.ids.reset();
    this.quotas = { ...RESOLVER_LIMITS, ...this.options.quotas };
  }

  /** Remembers the request's clock, so control routes see simulated time too. */
  seen(ctx: Ctx): Ctx {
    this.clock = ctx.clock;
    return ctx;
  }

  inRegion<T extends { region: string }>(map: Map<string, T>, ctx: Ctx): T[] {
    return [...map.values()].filter((s) => s.region === ctx.region);
  }

  endpoint(id: string, ctx: Ctx): StoredEndpoint {
    const stored = this.endpoints.get(id);
    if (!stored || stored.region !== ctx.region) {
      throw new AwsError('ResourceNotFoundException', `Resolver endpoint with ID '${id}' does not exist.`);
    }
    return stored;
  }

  /** A stored rule; the built-in Internet Resolver rule only for reading (readOnly), as AWS refuses changes to it. */
  rule(id: string, ctx: Ctx, readOnly = false): Stored<ResolverRule> {
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

  association(id: string, ctx: Ctx): Stored<ResolverRuleAssociation> {
    const stored = this.associations.get(id);
    if (!stored || stored.region !== ctx.region) {
      throw new AwsError('ResourceNotFoundException', `ResolverRuleAssociation with ID '${id}' does not exist.`);
    }
    return stored;
  }
}

/** The id of the rule Route 53 Resolver defines in every region for recursive resolution of everything else. */
export const INTERNET_RESOLVER_RULE_ID = 'rslvr-autodefined-rr-internet-resolver';

/**
 * The built-in "Internet Resolver" rule that ListResolverRules always lists first. Its fields (an
 * ARN without account, domain ".", type RECURSIVE, owner "Route 53 Resolver") are as the AWS CLI
 * shows it in users' reports, inferred: the API reference does not list it. It cannot be changed,
 * deleted or associated here (the update, delete and associate paths refuse it).
 */
export function internetResolverRule(region: string): Stored<ResolverRule> {
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

export function copyRule(rule: ResolverRule): ResolverRule {
  return { ...rule, ...(rule.TargetIps ? { TargetIps: rule.TargetIps.map((t) => ({ ...t })) } : {}) };
}

export function tagMap(tags: Tag[]): Map<string, string> {
  return new Map(tags.map((t) => [t.Key, t.Value]));
}

export function tagsOf(stored: { tags: Map<string, string> }): Tag[] {
  return [...stored.tags].map(([Key, Value]) => ({ Key, Value }));
}
