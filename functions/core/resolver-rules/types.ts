/**
 * The resolver-rule reconciler's contract: plain, JSON-serialisable data passed between the
 * observing adapter, the pure planner, the applying adapter and the state table.
 * Domain names are always normalised: lower case, no trailing dot.
 */

/** One DNS server the managed rules forward to: an IPv4 or IPv6 address (canonical spelling) and a port. */
export interface TargetAddress {
  ip: string;
  port: number;
}

/** Validated configuration of the resolver-rule reconciler (see config.ts for the environment variables). */
export interface ResolverConfig {
  /** Gateway group (stack) name: part of every managed rule's name and of its tags. */
  groupName: string;
  /** Domains always forwarded (the vendor's application domain), never retired. */
  staticDomains: string[];
  /** Names whose CNAME chains are followed (database names); always forwarded themselves. */
  trackedNames: string[];
  /** The vendor DNS servers every managed rule forwards to. */
  targetIps: TargetAddress[];
  /** The outbound Resolver endpoint every managed rule goes through (`rslvr-out-...`). */
  outboundEndpointId: string;
  /** VPCs every managed rule is associated with. */
  vpcIds: string[];
  /** How long a rule is kept after its name left every chain. */
  gracePeriodSeconds: number;
  /** More changes than this in one run block the plan unless the manual override is set. */
  maxChangesPerRun: number;
}

/**
 * The DNS chain walk's result for one tracked name (structurally a subset of dns-chain.ts's ChainResult).
 * `resolved`: chain = the tracked name first, then every CNAME target in order. `nxdomain`: a definite
 * answer; chain = the names that exist up to the missing one. `unknown`: timeout or SERVFAIL.
 * `invalid`: a loop, a chain too deep or a bad name.
 */
export type NameResolution =
  | { status: 'resolved'; chain: string[] }
  | { status: 'nxdomain'; chain?: string[] }
  | { status: 'unknown'; reason?: string; detail?: string }
  | { status: 'invalid'; chain?: string[]; problem?: string; detail?: string };

/** What the state table remembers between runs. */
export interface ResolverNameHistory {
  /** Per name: the last time (ISO 8601) it was in a resolved chain or a static domain (or its orphan rule was first seen). */
  lastSeenAt: Record<string, string>;
  /** Per tracked name: its last chain that was actually resolved (used while it cannot be resolved). */
  lastKnownChains: Record<string, string[]>;
}

/** One association of an observed rule with a VPC, as Route 53 Resolver reports it. */
export interface ObservedRuleAssociation {
  id: string;
  vpcId: string;
  /** CREATING | COMPLETE | DELETING | FAILED | OVERRIDDEN */
  status: string;
}

/** A resolver rule as observed; `managed` is true only when it carries this group's managed tags (isManagedByGroup). */
export interface ObservedResolverRule {
  id: string;
  arn: string;
  name: string | null;
  /** As AWS returns it (usually with a trailing dot); normalised by the planner. */
  domainName: string;
  /** FORWARD | SYSTEM | RECURSIVE | DELEGATE */
  ruleType: string;
  targetIps: TargetAddress[];
  resolverEndpointId: string | null;
  /** COMPLETE | DELETING | UPDATING | CREATING | FAILED */
  status: string;
  managed: boolean;
  associations: ObservedRuleAssociation[];
}

/** An association, in a configured VPC, of a rule we do not manage (a possible conflict). */
export interface ObservedUnmanagedAssociation {
  associationId: string;
  ruleId: string;
  domainName: string;
  vpcId: string;
  status: string;
}

/** A resource tag in the shape the applying adapter passes to CreateResolverRule. */
export interface ResourceTag {
  key: string;
  value: string;
}

/** One managed FORWARD rule the group should have, and the VPCs it should be associated with. */
export interface DesiredResolverRule {
  domainName: string;
  /** Stable friendly Name (at most 64 characters of letters, digits, '-', '_'). */
  name: string;
  /** Deterministic idempotency token for CreateResolverRule. */
  creatorRequestId: string;
  ruleType: 'FORWARD';
  targetIps: TargetAddress[];
  resolverEndpointId: string;
  /** Configured VPCs minus those where an unmanaged rule for the same domain is associated. */
  vpcIds: string[];
  tags: ResourceTag[];
  /** Why it is wanted: 'static', 'tracked', or the tracked names whose current (or last known) chain holds it. */
  reasons: string[];
}

/** The settings a rule forwards with: what update-rule-targets changes. */
export interface RuleForwarding {
  targetIps: TargetAddress[];
  resolverEndpointId: string | null;
}

/** Creates a managed rule; associate actions for it carry this action's id in `createActionId`. */
export interface CreateRuleAction {
  kind: 'create-rule';
  actionId: string;
  domainName: string;
  before: null;
  after: {
    name: string;
    creatorRequestId: string;
    domainName: string;
    ruleType: 'FORWARD';
    targetIps: TargetAddress[];
    resolverEndpointId: string;
    tags: ResourceTag[];
  };
}

/** Associates a managed rule with a VPC; the rule is `ruleId`, or the one created by `createActionId`. */
export interface AssociateRuleAction {
  kind: 'associate-rule';
  actionId: string;
  domainName: string;
  ruleId: string | null;
  createActionId: string | null;
  vpcId: string;
  before: null;
  after: { vpcId: string };
}

/** Points an existing managed rule at the configured targets and outbound endpoint. */
export interface UpdateRuleTargetsAction {
  kind: 'update-rule-targets';
  actionId: string;
  domainName: string;
  ruleId: string;
  before: RuleForwarding;
  after: { targetIps: TargetAddress[]; resolverEndpointId: string };
}

/** Removes one association of a managed rule being retired (always before its delete-rule). */
export interface DisassociateRuleAction {
  kind: 'disassociate-rule';
  actionId: string;
  domainName: string;
  ruleId: string;
  vpcId: string;
  before: { associationId: string; vpcId: string; status: string };
  after: null;
}

/** Deletes a managed rule: 'retired' (out of every chain past the grace period) or an unassociated 'duplicate'. */
export interface DeleteRuleAction {
  kind: 'delete-rule';
  actionId: string;
  domainName: string;
  ruleId: string;
  reason: 'retired' | 'duplicate';
  before: { ruleArn: string; name: string | null; domainName: string } & RuleForwarding;
  after: null;
}

export type ResolverRuleAction =
  | CreateRuleAction
  | AssociateRuleAction
  | UpdateRuleTargetsAction
  | DisassociateRuleAction
  | DeleteRuleAction;

/** An unmanaged rule for a desired domain associated with a configured VPC: left alone, reported. */
export interface ResolverRuleConflict {
  domainName: string;
  vpcId: string;
  ruleId: string;
  message: string;
}

/** Something the operator should look at; nothing is changed for the names it concerns unless said otherwise. */
export interface ResolverRuleProblem {
  kind: 'invalid-chain' | 'nxdomain' | 'duplicate-rules';
  /** The tracked name (chain problems) or the domain (duplicate rules). */
  name: string;
  message: string;
  ruleIds: string[];
}

/** Why a plan must not be applied without the manual override. */
export interface BlastRadiusBlock {
  reason: string;
  changes: number;
  limit: number;
}

/** Everything a run decided: the audit record of the execution, applied only when `blocked` is null. */
export interface ResolverRulePlan {
  /** The `now` the plan was made at (ISO 8601). */
  plannedAt: string;
  /** In the order they must be applied: create, associate, update, disassociate, delete. */
  actions: ResolverRuleAction[];
  conflicts: ResolverRuleConflict[];
  problems: ResolverRuleProblem[];
  /** True when a tracked name could not be resolved (DNS timeout, SERVFAIL, or no result). */
  degraded: boolean;
  /** Tracked names that could not be resolved this run. */
  unresolvedNames: string[];
  blocked: BlastRadiusBlock | null;
  /** The history to store after the run (a dry run stores nothing). */
  nextHistory: ResolverNameHistory;
  desired: DesiredResolverRule[];
}

/** Everything the planner needs: configuration, DNS results, stored history, observed rules and the time. */
export interface ResolverRulePlanInput {
  config: ResolverConfig;
  /** Per tracked name (normalised); a tracked name without a result counts as unknown. */
  resolutions: Record<string, NameResolution>;
  history: ResolverNameHistory;
  observedRules: ObservedResolverRule[];
  unmanagedAssociations: ObservedUnmanagedAssociation[];
  /** ISO 8601. */
  now: string;
  /** The operator's manual override of the blast-radius limit. */
  override?: boolean;
}

/** What is still missing after applying: empty lists mean the rules converged. */
export interface ResolverRuleVerification {
  converged: boolean;
  missingRules: string[];
  wrongForwarding: { domainName: string; ruleId: string }[];
  missingAssociations: { domainName: string; vpcId: string }[];
}
