import { createHash } from 'node:crypto';
import type {
  NameResolution,
  ObservedResolverRule,
  ResolverConfig,
  ResolverNameHistory,
  ResolverRulePlan,
  ResolverRulePlanInput,
} from '../../functions/core/resolver-rules/index.js';

/** Shared test data for the resolver-rule planner: a configuration, rule builders and a simulated apply. */

export const APP_DOMAIN = 'app.vendor.example';
export const DB_NAME = 'db.x.eu-west-2.rds.amazonaws.com';
export const HOST_A = 'ec2-1-2-3-4.eu-west-2.compute.amazonaws.com';
export const HOST_B = 'ec2-5-6-7-8.eu-west-2.compute.amazonaws.com';
export const VPC_A = 'vpc-0a1b2c3d';
export const VPC_B = 'vpc-0e1f2a3b';
export const ENDPOINT = 'rslvr-out-0123456789abcdef0';
export const T0 = '2025-03-01T12:00:00.000Z';
export const DAY_SECONDS = 86_400;

export function config(overrides: Partial<ResolverConfig> = {}): ResolverConfig {
  return {
    groupName: 'prod',
    staticDomains: [APP_DOMAIN],
    trackedNames: [DB_NAME],
    targetIps: [
      { ip: '10.0.0.2', port: 53 },
      { ip: '10.0.0.3', port: 53 },
    ],
    outboundEndpointId: ENDPOINT,
    vpcIds: [VPC_A, VPC_B],
    gracePeriodSeconds: DAY_SECONDS,
    maxChangesPerRun: 50,
    ...overrides,
  };
}

export function resolved(...chain: string[]): NameResolution {
  return { status: 'resolved', chain };
}

export const EMPTY_HISTORY: ResolverNameHistory = { lastSeenAt: {}, lastKnownChains: {} };

/** `start` plus a number of seconds, as ISO 8601. */
export function secondsAfter(start: string, seconds: number): string {
  return new Date(Date.parse(start) + seconds * 1000).toISOString();
}

export function input(overrides: Partial<ResolverRulePlanInput> = {}): ResolverRulePlanInput {
  return {
    config: config(),
    resolutions: { [DB_NAME]: resolved(DB_NAME, HOST_A) },
    history: EMPTY_HISTORY,
    observedRules: [],
    unmanagedAssociations: [],
    now: T0,
    ...overrides,
  };
}

/** An observed rule as the adapter would report it (trailing dot, managed by our tags unless said otherwise). */
export function observedRule(
  id: string,
  domainName: string,
  vpcIds: readonly string[],
  overrides: Partial<ObservedResolverRule> = {},
): ObservedResolverRule {
  return {
    id,
    arn: `arn:aws:route53resolver:eu-west-2:111122223333:resolver-rule/${id}`,
    name: id,
    domainName: `${domainName}.`,
    ruleType: 'FORWARD',
    targetIps: config().targetIps,
    resolverEndpointId: ENDPOINT,
    status: 'COMPLETE',
    managed: true,
    associations: vpcIds.map((vpcId) => ({ id: `rslvr-rrassoc-${id}-${vpcId}`, vpcId, status: 'COMPLETE' })),
    ...overrides,
  };
}

function fakeId(prefix: string, seed: string): string {
  return `${prefix}-${createHash('sha256').update(seed).digest('hex').slice(0, 17)}`;
}

/** What Route 53 Resolver would hold after every action of the plan succeeded. */
export function applyPlan(observed: readonly ObservedResolverRule[], plan: ResolverRulePlan): ObservedResolverRule[] {
  let rules = observed.map((rule) => ({ ...rule, associations: [...rule.associations] }));
  const created = new Map<string, string>();
  const find = (id: string | null) => rules.find((rule) => rule.id === id);
  for (const action of plan.actions) {
    switch (action.kind) {
      case 'create-rule': {
        const id = fakeId('rslvr-rr', action.actionId);
        created.set(action.actionId, id);
        rules.push({
          id,
          arn: `arn:aws:route53resolver:eu-west-2:111122223333:resolver-rule/${id}`,
          name: action.after.name,
          domainName: `${action.after.domainName}.`,
          ruleType: action.after.ruleType,
          targetIps: action.after.targetIps,
          resolverEndpointId: action.after.resolverEndpointId,
          status: 'COMPLETE',
          managed: true,
          associations: [],
        });
        break;
      }
      case 'associate-rule': {
        const rule = find(action.ruleId ?? created.get(action.createActionId ?? '') ?? null);
        if (!rule) throw new Error(`associate-rule ${action.actionId} names no rule`);
        rule.associations.push({
          id: fakeId('rslvr-rrassoc', action.actionId),
          vpcId: action.vpcId,
          status: 'COMPLETE',
        });
        break;
      }
      case 'update-rule-targets': {
        const rule = find(action.ruleId);
        if (!rule) throw new Error(`update-rule-targets ${action.actionId} names no rule`);
        rule.targetIps = action.after.targetIps;
        rule.resolverEndpointId = action.after.resolverEndpointId;
        break;
      }
      case 'disassociate-rule': {
        const rule = find(action.ruleId);
        if (!rule) throw new Error(`disassociate-rule ${action.actionId} names no rule`);
        rule.associations = rule.associations.filter((a) => a.id !== action.before.associationId);
        break;
      }
      case 'delete-rule':
        rules = rules.filter((rule) => rule.id !== action.ruleId);
        break;
    }
  }
  return rules;
}
