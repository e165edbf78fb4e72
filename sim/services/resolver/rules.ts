import { AwsError } from '../../core/errors.js';
import { ruleArn } from './ids.js';
import { applyFilters, paginate } from './listing.js';
import type { ResolverRule, RuleType } from './model.js';
import { type Ctx, copyRule, internetResolverRule, type Params, type ResolverStore, tagMap } from './store.js';
import {
  invalidParameter,
  invalidRequest,
  normaliseDomainName,
  oneOf,
  optionalName,
  requiredString,
  sameDomain,
  tagList,
  targetAddresses,
} from './validation.js';

/**
 * CreateResolverRule. `outsideProduct` allows RuleType RECURSIVE, which the API refuses: the scenario
 * control route creates such rules to stand for what AWS or another team made.
 */
export function createRule(store: ResolverStore, p: Params, ctx: Ctx, outsideProduct = false): ResolverRule {
  const creatorRequestId = requiredString(p, 'CreatorRequestId');
  const name = optionalName(p);
  const ruleType = oneOf<RuleType>(p, 'RuleType', ['FORWARD', 'SYSTEM', 'RECURSIVE']);
  if (ruleType === 'RECURSIVE' && !outsideProduct) {
    throw invalidRequest('[RSLVR-00718] Cannot create a rule with type RECURSIVE');
  }
  const domainName = normaliseDomainName(p.DomainName);
  const tags = tagList(p.Tags);
  const forward = forwardConfig(store, ruleType, p.TargetIps, p.ResolverEndpointId, ctx);
  if (ruleType === 'FORWARD' && (!forward.TargetIps || !forward.ResolverEndpointId)) {
    throw invalidRequest(
      forward.TargetIps
        ? 'A rule of type FORWARD needs a ResolverEndpointId.'
        : 'A rule of type FORWARD needs at least one target IP address.',
    );
  }
  const inRegion = store.inRegion(store.rules, ctx);
  // AWS answers a repeated CreatorRequestId with an error, not with the rule it already made.
  if (inRegion.some((r) => r.item.CreatorRequestId === creatorRequestId)) {
    throw new AwsError(
      'ResourceExistsException',
      `Resolver Rule with creator request id ${creatorRequestId} already exists`,
    );
  }
  if (inRegion.length >= store.quotas.rulesPerRegion) {
    throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-rules'`);
  }
  const id = store.ids.next('rslvr-rr-');
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
  store.rules.set(id, { seq: store.nextSeq(), region: ctx.region, tags: tagMap(tags), item });
  return copyRule(item);
}

/** TargetIps and ResolverEndpointId are for FORWARD rules only; the endpoint must be an outbound one. */
function forwardConfig(
  store: ResolverStore,
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
    const endpoint = store.endpoint(id, ctx);
    if (endpoint.item.Direction !== 'OUTBOUND') {
      throw invalidRequest(`Resolver endpoint ${id} is not an OUTBOUND endpoint; FORWARD rules need one.`);
    }
    config.ResolverEndpointId = id;
  }
  return config;
}

export function getRule(store: ResolverStore, p: Params, ctx: Ctx): ResolverRule {
  return copyRule(store.rule(requiredString(p, 'ResolverRuleId', 64), ctx, true).item);
}

export function listRules(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const all = [internetResolverRule(ctx.region), ...store.inRegion(store.rules, ctx)];
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

export function updateRule(store: ResolverStore, p: Params, ctx: Ctx): ResolverRule {
  const stored = store.rule(requiredString(p, 'ResolverRuleId', 64), ctx);
  if (p.Config === null || typeof p.Config !== 'object' || Array.isArray(p.Config)) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'config' failed to satisfy constraint: Member must not be null",
    );
  }
  const config = p.Config as Params;
  const name = optionalName(config);
  const forward = forwardConfig(store, stored.item.RuleType, config.TargetIps, config.ResolverEndpointId, ctx);
  // AWS passes through UPDATING for a moment; the sim's rule is COMPLETE again at once.
  if (name !== undefined) stored.item.Name = name;
  if (forward.TargetIps) stored.item.TargetIps = forward.TargetIps;
  if (forward.ResolverEndpointId) stored.item.ResolverEndpointId = forward.ResolverEndpointId;
  stored.item.ModificationTime = ctx.clock.iso();
  stored.item.StatusMessage = 'Successfully updated Resolver Rule';
  return copyRule(stored.item);
}

/** DeleteResolverRule: refused while the rule is associated with a VPC. */
export function deleteRule(store: ResolverStore, p: Params, ctx: Ctx): ResolverRule {
  const stored = store.rule(requiredString(p, 'ResolverRuleId', 64), ctx);
  const vpcs = [...store.associations.values()]
    .filter((a) => a.item.ResolverRuleId === stored.item.Id)
    .map((a) => a.item.VPCId);
  if (vpcs.length > 0) {
    throw new AwsError(
      'ResourceInUseException',
      `Cannot delete resolver rule ${stored.item.Id}: it is still associated with ${vpcs.join(', ')}. Disassociate it first.`,
    );
  }
  store.rules.delete(stored.item.Id);
  return { ...copyRule(stored.item), Status: 'DELETING', StatusMessage: 'Deleting this Resolver Rule' };
}
