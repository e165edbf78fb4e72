import { AwsError } from '../../core/errors.js';
import { applyFilters, paginate } from './listing.js';
import type { ResolverRule, ResolverRuleAssociation, Stored } from './model.js';
import { type Ctx, copyRule, type Params, type ResolverStore } from './store.js';
import { invalidParameter, invalidRequest, optionalName, requiredString, sameDomain, vpcId } from './validation.js';

/** AssociateResolverRule: one rule per domain per VPC; CREATING in the answer, COMPLETE after the delay. */
export function associate(store: ResolverStore, p: Params, ctx: Ctx): ResolverRuleAssociation {
  const ruleId = requiredString(p, 'ResolverRuleId', 64);
  const vpc = vpcId(p);
  const name = optionalName(p);
  const rule = store.rule(ruleId, ctx);
  if (store.options.vpcExists && !store.options.vpcExists(vpc)) {
    throw invalidParameter(`The vpc ID '${vpc}' does not exist`);
  }
  const inVpc = store.inRegion(store.associations, ctx).filter((a) => a.item.VPCId === vpc);
  // A repeat of an association that exists is refused like any other rule for the same domain in the
  // VPC: InvalidRequestException [RSLVR-00802] naming the rule itself. Not documented; it is what users
  // of other Resolver tooling report after a retried call, and what moto answers.
  const clash = inVpc.find((a) => {
    const other = store.rules.get(a.item.ResolverRuleId);
    return other !== undefined && sameDomain(other.item.DomainName, rule.item.DomainName);
  });
  if (clash) {
    throw invalidRequest(
      `[RSLVR-00802] Cannot associate rules with same domain name with same VPC. Conflict with resolver rule "${clash.item.ResolverRuleId}"`,
    );
  }
  if (store.inRegion(store.associations, ctx).length >= store.quotas.associationsPerRegion) {
    throw new AwsError('LimitExceededException', `Account '${ctx.accountId}' has exceeded 'max-rule-associations'`);
  }
  const id = store.ids.next('rslvr-rrassoc-');
  const item: ResolverRuleAssociation = {
    Id: id,
    ResolverRuleId: ruleId,
    ...(name !== undefined ? { Name: name } : {}),
    VPCId: vpc,
    Status: 'CREATING',
    StatusMessage: '[Trace id: sim] Creating the association.',
  };
  const stored = { seq: store.nextSeq(), region: ctx.region, tags: new Map<string, string>(), item };
  store.associations.set(id, stored);
  const answer = { ...item };
  later(store, ctx, () => {
    if (store.associations.get(id) !== stored || stored.item.Status !== 'CREATING') return;
    stored.item.Status = 'COMPLETE';
    stored.item.StatusMessage = '';
  });
  return answer;
}

/** DisassociateResolverRule: DELETING in the answer, gone after the delay. */
export function disassociate(store: ResolverStore, p: Params, ctx: Ctx): ResolverRuleAssociation {
  const ruleId = requiredString(p, 'ResolverRuleId', 64);
  const vpc = vpcId(p);
  store.rule(ruleId, ctx);
  const stored = store
    .inRegion(store.associations, ctx)
    .find((a) => a.item.ResolverRuleId === ruleId && a.item.VPCId === vpc);
  if (!stored) {
    throw new AwsError('ResourceNotFoundException', `Resolver rule ${ruleId} is not associated with VPC ${vpc}.`);
  }
  stored.item.Status = 'DELETING';
  stored.item.StatusMessage = '[Trace id: sim] Deleting Association';
  const answer = { ...stored.item };
  later(store, ctx, () => {
    if (store.associations.get(stored.item.Id) === stored) store.associations.delete(stored.item.Id);
  });
  return answer;
}

/** Runs a state change after the association delay on the sim clock, or at once when there is none. */
function later(store: ResolverStore, ctx: Ctx, change: () => void): void {
  const delay = store.options.associationDelayMs ?? 0;
  if (delay <= 0) change();
  else ctx.clock.schedule(ctx.clock.now() + delay, change);
}

export function getAssociation(store: ResolverStore, p: Params, ctx: Ctx): ResolverRuleAssociation {
  return { ...store.association(requiredString(p, 'ResolverRuleAssociationId', 64), ctx).item };
}

export function listAssociations(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const matching = applyFilters(store.inRegion(store.associations, ctx), p.Filters, {
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

/** The rules a VPC's DNS queries are matched against: COMPLETE associations in a region. */
export function associatedRules(store: ResolverStore, vpc: string, region: string): ResolverRule[] {
  return [...store.associations.values()]
    .filter((a) => a.region === region && a.item.VPCId === vpc && a.item.Status === 'COMPLETE')
    .map((a) => store.rules.get(a.item.ResolverRuleId))
    .filter((r): r is Stored<ResolverRule> => r !== undefined)
    .map((r) => copyRule(r.item));
}
