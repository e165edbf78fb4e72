// The route reconciler's contract: plain, JSON-serialisable data passed between Step Functions states.

// ---------- configuration ----------

/** Kind of a managed route destination, as EC2 names the route field (CIDR, IPv6 CIDR, prefix list). */
export type DestinationKind = 'ipv4-cidr' | 'ipv6-cidr' | 'prefix-list';

/** One route destination: a canonical CIDR or a prefix-list id (`pl-...`). */
export interface RouteDestination {
  kind: DestinationKind;
  value: string;
}

/** Whether the failback to the preferred gateway happens by itself or only on the operator's request. */
export type FailbackMode = 'automatic' | 'manual';

/** Elastic IP handling: off, or keep the given allocation associated with the active gateway's ENI. */
export type EipMode = { mode: 'off' } | { mode: 'keep-on-active'; allocationId: string };

/** The reconciler's parameters for one gateway group, read once at cold start by `parseRouteConfig`. */
export interface RouteConfig {
  /** Gateway group name (`cgw-autopilot:group` tag value). */
  group: string;
  /** Route tables managed by explicit id. */
  routeTableIds: string[];
  /** Also manage route tables the observation marks as carrying the group tag. */
  manageTaggedRouteTables: boolean;
  /** Managed destinations (vendor CIDRs, IPv6 CIDRs, prefix lists), canonical, no duplicates. */
  destinations: RouteDestination[];
  /** A member without a fresh agent report is soft-failed (true) or judged on EC2 signals alone (false). */
  requireAgentReports: boolean;
  /** An agent report older than this is stale. */
  agentStaleAfterSeconds: number;
  /** Wait this long after a soft failure of the active gateway before confirming it. */
  confirmationDelaySeconds: number;
  /**
   * The shorter wait when two independent signals agree: the active's own fresh agent report says its
   * tunnels or BGP are down, and the best standby's fresh report has every tunnel and BGP up.
   */
  corroboratedConfirmationSeconds: number;
  /** Minimum time between two automatic switches (a dead active gateway overrides it). */
  cooldownSeconds: number;
  /** Failback policy: mode, and how long the preferred member must stay healthy first. */
  failback: { mode: FailbackMode; stableSeconds: number };
  /** Blast radius: a plan with more actions than this is blocked unless overridden. */
  maxChangesPerRun: number;
  /** Actions one execution applies; the rest wait for the next round, so the execution's JSON stays small. */
  maxActionsPerExecution: number;
  /** Elastic IP handling. */
  eip: EipMode;
  /**
   * Routes to a managed destination whose target is not an instance ENI (nor the primary path): left alone and
   * reported (`hold`, the default when absent) or re-pointed like any other route (`replace`).
   */
  otherTargets?: OtherTargetPolicy;
  /** The preferred target of the managed destinations; the gateway group is its backup. Absent = none. */
  primaryPath?: PrimaryPath | null;
}

// ---------- observation ----------

/** EC2 instance state name. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** EC2 status-check status (system or instance). */
export type StatusCheck = 'ok' | 'impaired' | 'initializing' | 'insufficient-data' | 'not-applicable';

/** One CGW instance of the group, as EC2 describes it. */
export interface GatewayMember {
  instanceId: string;
  state: InstanceState;
  systemStatus: StatusCheck;
  instanceStatus: StatusCheck;
  /** Primary ENI id (device index 0); whether it exists and is attached is read from `networkInterfaces`. */
  primaryNetworkInterfaceId: string | null;
  /** The ENI's source/destination check flag (must be off on a router). */
  sourceDestCheck: boolean;
  /** `cgw-autopilot:priority` tag, lower wins; null when the tag is missing (lowest priority). */
  priority: number | null;
  /** Public IPv4 address, if any. */
  publicIp: string | null;
  /** Association id of the Elastic IP on this member, if any. */
  eipAssociationId: string | null;
}

/** State of one IPsec tunnel as the agent saw it. */
export interface TunnelReport {
  name: string;
  status: 'up' | 'down';
}

/** The latest agent report of one instance (from the state table). */
export interface AgentReport {
  instanceId: string;
  tunnels: TunnelReport[];
  bgp: 'up' | 'down' | 'unknown';
  /** ISO-8601 time the agent sent the report, by the gateway's clock (shown, never trusted). */
  reportedAt: string;
  /** ISO-8601 time the product received the report: freshness is judged by it. */
  receivedAt: string;
}

/** EC2 route state. */
export type RouteState = 'active' | 'blackhole';

/** A route's target as DescribeRouteTables reports it (an instance route carries both ENI and instance ids). */
export interface RouteTarget {
  networkInterfaceId?: string;
  instanceId?: string;
  gatewayId?: string;
  transitGatewayId?: string;
  vpcPeeringConnectionId?: string;
  /** Any other non-ENI target (NAT gateway, egress-only internet gateway, local or carrier gateway, core network). */
  otherTargetId?: string;
}

/** A route that exists in a route table. */
export interface ObservedRoute {
  destination: RouteDestination;
  target: RouteTarget;
  state: RouteState;
}

/** An observed route table; a managed destination absent from `routes` is a missing route. */
export interface ObservedRouteTable {
  routeTableId: string;
  /** The table's VPC (the primary path's usability is judged per VPC). */
  vpcId?: string;
  /** The table carries `cgw-autopilot:group = <group>` (managed when `manageTaggedRouteTables`). */
  taggedForGroup: boolean;
  routes: ObservedRoute[];
}

/** Where the configured Elastic IP allocation is associated now. */
export interface ObservedElasticIp {
  allocationId: string;
  associationId: string | null;
  networkInterfaceId: string | null;
  instanceId: string | null;
}

/** A soft failure of the active gateway seen once and awaiting confirmation. */
export interface PendingSoftFailure {
  instanceId: string;
  /** ISO-8601 time of the first observation. */
  firstSeenAt: string;
}

/** The group's record in the state table, read before and written after each decision. */
export interface GroupRecord {
  group: string;
  activeInstanceId: string | null;
  /** ISO-8601 time of the last switch of active gateway. */
  lastSwitchAt: string | null;
  /** Since when the preferred member has been continuously healthy (for automatic failback). */
  preferredHealthySince: { instanceId: string; since: string } | null;
  pendingSoftFailure: PendingSoftFailure | null;
  /** Which path the managed routes take when a primary path is configured; absent before its first decision. */
  primaryPath?: PrimaryPathRecord | null;
}

/** Everything the reconciler observed in one pass. */
export interface RouteObservation {
  group: string;
  /** ISO-8601 time of the observation: the core's only clock. */
  now: string;
  members: GatewayMember[];
  agentReports: AgentReport[];
  /** ENIs that exist: ENI id -> attached instance id, or null when detached. Absent = gone. */
  networkInterfaces: Record<string, string | null>;
  /** Route tables the adapter could observe (managed ones, and possibly others). */
  routeTables: ObservedRouteTable[];
  /** Where the configured EIP is; null when EIP mode is off or it could not be observed. */
  elasticIp: ObservedElasticIp | null;
  record: GroupRecord;
  /** The configured primary path as EC2 describes it; absent or null when none is configured. */
  primaryPath?: ObservedPrimaryPath | null;
  /** Entries (CIDRs) of each managed prefix list, for the default-route check; absent when not observed. */
  prefixListEntries?: Record<string, string[]>;
}

// ---------- health ----------

/** Member verdict: usable, failed in a way that needs confirmation, or definitively unusable. */
export type HealthVerdict = 'healthy' | 'soft-failed' | 'dead';

/** How good a member's tunnel signal is: all up, partly up, or not reported (reports not required). */
export type HealthGrade = 'full' | 'partial' | 'unreported';

/** The health of one member, with the reasons in words. */
export interface MemberHealth {
  instanceId: string;
  verdict: HealthVerdict;
  grade: HealthGrade;
  priority: number | null;
  reasons: string[];
  /** The member's own fresh agent report says its tunnels or BGP are down. */
  agentReportsFailure?: boolean;
}

// ---------- decision ----------

/** An operator's request: repair routes only, fail over (to a member or the next healthy one), or fail back. */
export type RouteOperation =
  | { kind: 'repair' }
  | { kind: 'failover'; targetInstanceId?: string }
  | { kind: 'failback' };

/** What asked for the decision: the automatic reconciler or an operator operation. */
export type DecisionTrigger = 'automatic' | RouteOperation['kind'];

/**
 * Decision outcome: `unchanged` keep the active; `switched` new active; `confirm` wait confirmationDelaySeconds
 * and observe again; `cooldown` a switch was refused by the cooldown; `no-healthy-member` nothing moves, alarm;
 * `refused` an operator request that cannot be honoured (see reason).
 */
export type DecisionOutcome = 'unchanged' | 'switched' | 'confirm' | 'cooldown' | 'no-healthy-member' | 'refused';

/** The choice of active gateway, in words and ids. */
export interface GatewayDecision {
  outcome: DecisionOutcome;
  trigger: DecisionTrigger;
  activeBefore: string | null;
  activeAfter: string | null;
  reason: string;
  /** For a switch: a first election, a failover away from the active, or a failback to the preferred member. */
  switchKind?: SwitchKind;
  /** For `confirm`: how long to wait before observing again. */
  confirmAfterSeconds?: number;
}

/** What a switch of active gateway was. */
export type SwitchKind = 'election' | 'failover' | 'failback';

/** What the caller tells `chooseActiveGateway` beyond the observation. */
export interface DecisionRequest {
  /** This observation is the one made after waiting confirmationDelaySeconds. */
  confirming?: boolean;
  operation?: RouteOperation;
}

/** The decision and the group record to store. */
export interface ActiveGatewayChoice {
  decision: GatewayDecision;
  nextRecord: GroupRecord;
}

// ---------- plan ----------

/** Why a managed route is not converged. */
export type RouteProblem =
  | 'missing'
  | 'blackhole'
  | 'instance-target'
  | 'other-target'
  | 'missing-eni'
  | 'eni-not-on-running-member'
  | 'not-active-gateway'
  /** The route takes the primary path, but the gateway path is chosen. */
  | 'on-primary-path'
  /** The primary path is chosen, but the route takes another target. */
  | 'off-primary-path';

/** The route target the plan sets: the active gateway's primary ENI. */
export interface GatewayTarget {
  networkInterfaceId: string;
  instanceId: string;
}

/** Re-point an existing managed route (ReplaceRoute). */
export interface ReplaceRouteAction {
  kind: 'replace-route';
  actionId: string;
  routeTableId: string;
  destination: RouteDestination;
  reason: RouteProblem;
  before: { target: RouteTarget; state: RouteState };
  after: GatewayTarget;
}

/** Create a missing managed route (CreateRoute). */
export interface CreateRouteAction {
  kind: 'create-route';
  actionId: string;
  routeTableId: string;
  destination: RouteDestination;
  reason: 'missing';
  before: null;
  after: GatewayTarget;
}

/** Point a managed route at the primary path: ReplaceRoute, or CreateRoute when it is missing (`before` null). */
export interface PrimaryPathRouteAction {
  kind: 'route-to-primary-path';
  actionId: string;
  routeTableId: string;
  destination: RouteDestination;
  reason: RouteProblem;
  before: { target: RouteTarget; state: RouteState } | null;
  after: PrimaryPathRouteTarget;
}

/** Turn source/destination check off on the active gateway's ENI. */
export interface DisableSourceDestCheckAction {
  kind: 'disable-source-dest-check';
  actionId: string;
  instanceId: string;
  networkInterfaceId: string;
  before: { sourceDestCheck: true };
  after: { sourceDestCheck: false };
}

/** Associate the configured Elastic IP with the active gateway's ENI (AssociateAddress, AllowReassociation). */
export interface MoveEipAction {
  kind: 'move-eip';
  actionId: string;
  allocationId: string;
  before: { associationId: string | null; networkInterfaceId: string | null; instanceId: string | null };
  after: GatewayTarget;
}

/** One change the plan makes. */
export type PlanAction =
  | ReplaceRouteAction
  | CreateRouteAction
  | DisableSourceDestCheckAction
  | MoveEipAction
  | PrimaryPathRouteAction;

/** A plan refused by the blast-radius limit. */
export interface BlockedPlan {
  reason: 'blast-radius';
  changes: number;
  limit: number;
}

/** The route reconciler's plan: the decision, the actions, and whether it is blocked. */
export interface RoutePlan {
  group: string;
  decision: GatewayDecision;
  /** The ENI every managed route must target; null when nothing may change. */
  activeNetworkInterfaceId: string | null;
  actions: PlanAction[];
  blocked?: BlockedPlan;
  /** Actions left for the next round of the same execution (the plan was longer than one round takes). */
  deferred?: number;
  /** With a primary path configured: which path the managed routes take, and why. */
  path?: PathDecision;
  /** Managed routes left alone because another target holds them (policy `hold`). */
  held?: HeldRoute[];
}

/** A managed route that is not (yet) active and pointing at the active ENI. */
export interface UnconvergedRoute {
  routeTableId: string;
  destination: RouteDestination;
  problem: RouteProblem | 'route-table-not-observed';
}

// ---------- mixed paths: a primary path with the gateway group as backup ----------

/** What kind of AWS target the primary path is. */
export type PrimaryPathKind = 'transit-gateway' | 'vpn-gateway' | 'vpc-peering-connection';

/** The configured primary path: a Transit Gateway, a virtual private gateway (VPN or Direct Connect) or a peering. */
export interface PrimaryPath {
  kind: PrimaryPathKind;
  id: string;
}

/** What to do with a managed route another target (not an instance ENI, not the primary path) holds. */
export type OtherTargetPolicy = 'hold' | 'replace';

/** The route target a plan sets on the primary path. */
export interface PrimaryPathRouteTarget {
  primaryPath: PrimaryPathKind;
  id: string;
}

/**
 * The primary path as EC2 describes it. `vpcStates` maps each VPC to the state that decides usability there:
 * the Transit Gateway VPC attachment's state, the VGW attachment's state, or the peering connection's status
 * code (for both of its VPCs). A VPC absent from the map has no attachment at all.
 */
export interface ObservedPrimaryPath {
  kind: PrimaryPathKind;
  id: string;
  /** False when the Transit Gateway, VGW or peering connection itself is not found. */
  exists: boolean;
  vpcStates: Record<string, string>;
}

/** Usable, failed in a way that needs confirmation (a transitional state), or definitively unusable. */
export type PrimaryPathVerdict = 'usable' | 'soft-failed' | 'dead';

/** The primary path's health in this observation, with the reasons in words. */
export interface PrimaryPathHealth {
  verdict: PrimaryPathVerdict;
  reasons: string[];
}

/** Which target the managed routes take. */
export type RoutePath = 'primary' | 'gateway';

/** The group's path state in the state table. */
export interface PrimaryPathRecord {
  path: RoutePath;
  /** Since when the primary path has been continuously usable (for failback), or null. */
  usableSince: string | null;
  /** Since when a soft failure of the primary path has been seen (for confirmation), or null. */
  failingSince: string | null;
}

/** The choice of path, like the choice of active gateway: outcome, before and after, reason. */
export interface PathDecision {
  outcome: 'unchanged' | 'switched' | 'confirm' | 'cooldown' | 'refused';
  primaryPath: PrimaryPath;
  before: RoutePath | null;
  after: RoutePath;
  reason: string;
  switchKind?: SwitchKind;
  health: PrimaryPathHealth;
}

/** A managed route left alone because a target the reconciler does not manage holds it. */
export interface HeldRoute {
  routeTableId: string;
  destination: RouteDestination;
  /** The id of the holding target (tgw-..., vgw-..., pcx-..., igw-..., nat-...). */
  heldBy: string;
  state: RouteState;
}
