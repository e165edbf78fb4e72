import type { SimClock } from '../../core/clock.js';
import { type ActionHandler, type JsonService, SIM_ACCOUNT_ID, SIM_DEFAULT_REGION } from '../../core/service.js';
import { associate, associatedRules, disassociate, getAssociation, listAssociations } from './associations.js';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints } from './endpoints.js';
import type { ResolverRule } from './model.js';
import { createRule, deleteRule, getRule, listRules, updateRule } from './rules.js';
import {
  type Ctx,
  copyRule,
  type Params,
  type ResolverQuotas,
  type ResolverServiceOptions,
  ResolverStore,
  tagsOf,
} from './store.js';
import { listTags, tagResource, untagResource } from './tags.js';

export { RESOLVER_LIMITS, type ResolverQuotas, type ResolverServiceOptions } from './store.js';

/**
 * Route 53 Resolver (awsJson1_1, target prefix Route53Resolver): outbound and inbound endpoints,
 * FORWARD and SYSTEM rules, rule-to-VPC associations and tags, with AWS's error types. This class
 * routes the protocol and the scenario control surface; each kind of resource has its own module.
 */
export class ResolverService implements JsonService {
  readonly name = 'route53resolver';
  readonly protocol = 'json';
  readonly targetPrefix = 'Route53Resolver';
  readonly jsonVersion = '1.1';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };

  private readonly store: ResolverStore;

  constructor(options: ResolverServiceOptions = {}) {
    this.store = new ResolverStore(options);
  }

  readonly actions: Record<string, ActionHandler> = this.route({
    CreateResolverEndpoint: (s, p, ctx) => ({ ResolverEndpoint: createEndpoint(s, p, ctx) }),
    GetResolverEndpoint: (s, p, ctx) => ({ ResolverEndpoint: getEndpoint(s, p, ctx) }),
    ListResolverEndpoints: listEndpoints,
    DeleteResolverEndpoint: (s, p, ctx) => ({ ResolverEndpoint: deleteEndpoint(s, p, ctx) }),
    CreateResolverRule: (s, p, ctx) => ({ ResolverRule: createRule(s, p, ctx) }),
    GetResolverRule: (s, p, ctx) => ({ ResolverRule: getRule(s, p, ctx) }),
    ListResolverRules: listRules,
    UpdateResolverRule: (s, p, ctx) => ({ ResolverRule: updateRule(s, p, ctx) }),
    DeleteResolverRule: (s, p, ctx) => ({ ResolverRule: deleteRule(s, p, ctx) }),
    AssociateResolverRule: (s, p, ctx) => ({ ResolverRuleAssociation: associate(s, p, ctx) }),
    DisassociateResolverRule: (s, p, ctx) => ({ ResolverRuleAssociation: disassociate(s, p, ctx) }),
    GetResolverRuleAssociation: (s, p, ctx) => ({ ResolverRuleAssociation: getAssociation(s, p, ctx) }),
    ListResolverRuleAssociations: listAssociations,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTags,
  });

  /** Each action runs on the store with the request's context, remembering its clock for the control routes. */
  private route(
    table: Record<string, (store: ResolverStore, p: Params, ctx: Ctx) => unknown>,
  ): Record<string, ActionHandler> {
    return Object.fromEntries(
      Object.entries(table).map(([action, run]) => [
        action,
        (p: Params, ctx: Ctx) => run(this.store, p, this.store.seen(ctx)),
      ]),
    ) as Record<string, ActionHandler>;
  }

  /** Takes the sim's clock when the server offers it, so control routes see simulated time too. */
  attach(server: { clock: SimClock }): void {
    this.store.clock = server.clock;
  }

  reset(): void {
    this.store.reset();
  }

  snapshot(): unknown {
    const { endpoints, rules, associations } = this.store;
    return {
      endpoints: [...endpoints.values()].map((e) => ({
        ...e.item,
        Region: e.region,
        IpAddresses: e.ipAddresses.map((ip) => ({ ...ip })),
        Tags: tagsOf(e),
      })),
      rules: [...rules.values()].map((r) => ({
        ...copyRule(r.item),
        Region: r.region,
        Tags: tagsOf(r),
        Associations: [...associations.values()]
          .filter((a) => a.item.ResolverRuleId === r.item.Id)
          .map((a) => ({ ...a.item })),
      })),
    };
  }

  /**
   * Scenario routes under /_sim/route53resolver/: `GET state`; `POST rules` (CreateResolverRule's
   * input, plus `Region`, and RuleType RECURSIVE allowed: a rule made outside the product);
   * `POST associations` (AssociateResolverRule's input, COMPLETE at once); `POST endpoints`;
   * `POST quotas` (`{ rulesPerRegion: 5000, ... }`: a granted quota increase; only raises).
   */
  control(method: string, subpath: string, body: unknown): unknown {
    const input = (body ?? {}) as Params;
    const ctx: Ctx = {
      region: typeof input.Region === 'string' ? input.Region : SIM_DEFAULT_REGION,
      accountId: SIM_ACCOUNT_ID,
      clock: this.store.clock,
    };
    if (method === 'GET' && (subpath === '' || subpath === 'state')) return this.snapshot();
    if (method === 'POST' && subpath === 'rules') return createRule(this.store, input, ctx, true);
    if (method === 'POST' && subpath === 'endpoints') return createEndpoint(this.store, input, ctx);
    if (method === 'POST' && subpath === 'quotas') return this.raiseQuotas(input);
    if (method === 'POST' && subpath === 'associations') {
      const created = associate(this.store, input, ctx);
      const stored = this.store.associations.get(created.Id);
      if (stored) stored.item.Status = 'COMPLETE';
      return stored ? { ...stored.item } : created;
    }
    throw new Error(`no control route ${method} /_sim/route53resolver/${subpath}`);
  }

  /**
   * Raises quotas as Service Quotas grants an increase: each named quota to a whole number not below
   * its current value. Anything else is refused before any quota changes.
   */
  raiseQuotas(input: Params): ResolverQuotas {
    const raised: Partial<ResolverQuotas> = {};
    for (const [name, value] of Object.entries(input)) {
      if (name === 'Region') continue;
      if (!Object.hasOwn(this.store.quotas, name)) {
        throw new Error(
          `no Route 53 Resolver quota named ${name} (have: ${Object.keys(this.store.quotas).join(', ')})`,
        );
      }
      const current = this.store.quotas[name as keyof ResolverQuotas];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < current) {
        throw new Error(`quota ${name} must be a whole number of at least ${current}, got ${JSON.stringify(value)}`);
      }
      raised[name as keyof ResolverQuotas] = value;
    }
    Object.assign(this.store.quotas, raised);
    return { ...this.store.quotas };
  }

  /** The VPC an endpoint's network interfaces are in (the path its forwarded queries take), or undefined. */
  endpointVpcId(endpointId: string): string | undefined {
    return this.store.endpoints.get(endpointId)?.item.HostVPCId;
  }

  /** The rules a VPC's DNS queries are matched against: COMPLETE associations in a region. */
  associatedRules(vpc: string, region = SIM_DEFAULT_REGION): ResolverRule[] {
    return associatedRules(this.store, vpc, region);
  }
}
export { INTERNET_RESOLVER_RULE_ID } from './store.js';
