import { InvalidInputError } from './errors.js';
import { managedRouteSlots, nonInstanceTarget } from './managed-routes.js';
import { instantMs } from './time.js';
import type {
  GatewayDecision,
  PathDecision,
  PrimaryPath,
  PrimaryPathHealth,
  PrimaryPathKind,
  PrimaryPathRecord,
  RouteConfig,
  RouteObservation,
  RouteOperation,
  RoutePath,
} from './types.js';

// A primary path (Transit Gateway, virtual private gateway, peering connection) carries the managed
// destinations while it is usable; the gateway group is its backup. Its states, from the EC2 API reference:
// TransitGatewayVpcAttachment.state, VpcAttachment.state (of a VpnGateway), VpcPeeringConnectionStateReason.code.

/** The one state in which each kind of path carries traffic. */
const USABLE_STATE: Record<PrimaryPathKind, string> = {
  'transit-gateway': 'available',
  'vpn-gateway': 'attached',
  'vpc-peering-connection': 'active',
};

/**
 * States that may pass by themselves (a change in progress): a failure seen in them is confirmed after
 * ConfirmationDelaySeconds, like a gateway's soft failure. Every other state (deleting, deleted, detached,
 * failed, rejected, expired...) is definitive. Whether a `modifying` attachment still forwards is not
 * documented; treating it as transitional is an inference.
 */
const TRANSITIONAL_STATES: Record<PrimaryPathKind, ReadonlySet<string>> = {
  'transit-gateway': new Set(['modifying', 'pending', 'pendingAcceptance', 'initiating', 'initiatingRequest']),
  'vpn-gateway': new Set(['attaching']),
  'vpc-peering-connection': new Set(['provisioning', 'pending-acceptance', 'initiating-request']),
};

const NOUN: Record<PrimaryPathKind, string> = {
  'transit-gateway': 'Transit Gateway',
  'vpn-gateway': 'virtual private gateway',
  'vpc-peering-connection': 'peering connection',
};

/** The path in words: `Transit Gateway tgw-...`. */
export function describePrimaryPath(primary: PrimaryPath): string {
  return `${NOUN[primary.kind]} ${primary.id}`;
}

/** VPCs of the observed managed route tables: where the primary path must be usable. */
function managedVpcs(observation: RouteObservation, config: RouteConfig): string[] {
  const ids = new Set(managedRouteSlots(observation, config).map((slot) => slot.routeTableId));
  const vpcs = observation.routeTables
    .filter((table) => ids.has(table.routeTableId) && table.vpcId !== undefined)
    .map((table) => table.vpcId!);
  return [...new Set(vpcs)].sort();
}

/**
 * Judges the primary path: usable when it exists, is usable in every VPC of a managed route table and no managed
 * route to it is `blackhole`; soft-failed in a transitional state; dead otherwise. Null when none is configured.
 */
export function assessPrimaryPath(observation: RouteObservation, config: RouteConfig): PrimaryPathHealth | null {
  const primary = config.primaryPath;
  if (!primary) return null;
  const observed = observation.primaryPath;
  if (!observed) throw new InvalidInputError('primaryPath', `${describePrimaryPath(primary)} was not observed`);
  if (observed.id !== primary.id) {
    throw new InvalidInputError('primaryPath.id', `observed ${observed.id}, configured ${primary.id}`);
  }
  const name = describePrimaryPath(primary);
  if (!observed.exists) return { verdict: 'dead', reasons: [`${name} does not exist`] };
  const dead: string[] = [];
  const soft: string[] = [];
  const attachment = primary.kind === 'vpc-peering-connection' ? 'peering status' : 'attachment';
  for (const vpc of managedVpcs(observation, config)) {
    const state = observed.vpcStates[vpc];
    if (state === undefined) dead.push(`${name} has no ${attachment} in ${vpc}`);
    else if (TRANSITIONAL_STATES[primary.kind].has(state)) soft.push(`${name} ${attachment} in ${vpc} is ${state}`);
    else if (state !== USABLE_STATE[primary.kind]) dead.push(`${name} ${attachment} in ${vpc} is ${state}`);
  }
  // The route's own state: EC2 marks a route blackhole when its target can no longer carry traffic.
  for (const slot of managedRouteSlots(observation, config)) {
    if (slot.route?.state === 'blackhole' && nonInstanceTarget(slot.route) === primary.id) {
      dead.push(`route ${slot.routeTableId} ${slot.destination.value} via ${primary.id} is blackhole`);
    }
  }
  if (dead.length > 0) return { verdict: 'dead', reasons: [...dead, ...soft] };
  if (soft.length > 0) return { verdict: 'soft-failed', reasons: soft };
  return { verdict: 'usable', reasons: [] };
}

/** What the path decision needs besides the observation. */
export interface PathRequest {
  confirming?: boolean;
  operation?: RouteOperation;
}

/** The path decision and the record to store. */
export interface PathChoice {
  decision: PathDecision;
  record: PrimaryPathRecord;
}

interface PathContext {
  observation: RouteObservation;
  config: RouteConfig;
  primary: PrimaryPath;
  health: PrimaryPathHealth;
  gateway: GatewayDecision;
  nowMs: number;
  current: RoutePath | null;
  usableSince: string | null;
  failingSince: string | null;
}

/** Whether the gateway group can take the routes: a member was chosen and nothing froze the gateway decision. */
function gatewayAvailable(ctx: PathContext): boolean {
  return ctx.gateway.activeAfter !== null && !['no-healthy-member', 'refused'].includes(ctx.gateway.outcome);
}

function inCooldown(ctx: PathContext): boolean {
  const last = ctx.observation.record.lastSwitchAt;
  if (last === null) return false;
  return ctx.nowMs - instantMs('record.lastSwitchAt', last) < ctx.config.cooldownSeconds * 1000;
}

function healthText(ctx: PathContext): string {
  return ctx.health.reasons.join(', ') || 'usable';
}

function choice(
  ctx: PathContext,
  outcome: PathDecision['outcome'],
  after: RoutePath,
  reason: string,
  switchKind?: PathDecision['switchKind'],
): PathChoice {
  const decision: PathDecision = {
    outcome,
    primaryPath: ctx.primary,
    before: ctx.current,
    after,
    reason,
    ...(switchKind ? { switchKind } : {}),
    health: ctx.health,
  };
  const failingSince = after === 'primary' && ctx.health.verdict === 'soft-failed' ? ctx.failingSince : null;
  return { decision, record: { path: after, usableSince: ctx.usableSince, failingSince } };
}

function toGateway(ctx: PathContext, reason: string): PathChoice {
  return choice(ctx, 'switched', 'gateway', reason, ctx.current === null ? 'election' : 'failover');
}

function toPrimary(ctx: PathContext, reason: string): PathChoice {
  return choice(ctx, 'switched', 'primary', reason, ctx.current === null ? 'election' : 'failback');
}

/** On the primary path: stay while usable; leave at once when dead, after confirmation when soft-failed. */
function onPrimary(ctx: PathContext, confirming: boolean): PathChoice {
  const name = describePrimaryPath(ctx.primary);
  if (ctx.health.verdict === 'usable') return choice(ctx, 'unchanged', 'primary', `${name} is usable`);
  if (!gatewayAvailable(ctx)) {
    return choice(ctx, 'unchanged', 'primary', `${name} is not usable (${healthText(ctx)}), but no gateway is healthy`);
  }
  const wanted = `${name} is not usable (${healthText(ctx)}); fail over to gateway ${ctx.gateway.activeAfter}`;
  if (ctx.health.verdict === 'dead') return toGateway(ctx, `${wanted} at once`);
  const delayMs = ctx.config.confirmationDelaySeconds * 1000;
  const elapsed =
    delayMs === 0 ||
    (ctx.failingSince !== null &&
      ctx.nowMs - instantMs('record.primaryPath.failingSince', ctx.failingSince) >= delayMs);
  if (!confirming && !elapsed) {
    const reason = `${name} is soft-failed (${healthText(ctx)}); observe again in ${ctx.config.confirmationDelaySeconds} s`;
    return choice(ctx, 'confirm', 'primary', reason);
  }
  if (inCooldown(ctx)) {
    const last = ctx.observation.record.lastSwitchAt;
    return choice(ctx, 'cooldown', 'primary', `${wanted}, but the last switch (${last}) is within the cooldown`);
  }
  return toGateway(ctx, `${wanted}, confirmed`);
}

/** On the gateway path: fail back once the primary has been usable for FailbackStableSeconds (automatic mode). */
function onGateway(ctx: PathContext): PathChoice {
  const name = describePrimaryPath(ctx.primary);
  if (ctx.health.verdict !== 'usable') {
    return choice(ctx, 'unchanged', 'gateway', `${name} is not usable (${healthText(ctx)})`);
  }
  // With no healthy gateway, the usable primary path beats routes left on a failed gateway.
  if (ctx.gateway.outcome === 'no-healthy-member') {
    return toPrimary(ctx, `no gateway is healthy and ${name} is usable: fail back at once`);
  }
  if (ctx.config.failback.mode === 'manual') {
    return choice(ctx, 'unchanged', 'gateway', `${name} is usable; failback is manual`);
  }
  const stableMs = ctx.nowMs - instantMs('record.primaryPath.usableSince', ctx.usableSince!);
  const remaining = Math.ceil((ctx.config.failback.stableSeconds * 1000 - stableMs) / 1000);
  if (remaining > 0) return choice(ctx, 'unchanged', 'gateway', `${name} is usable; failback in ${remaining} s`);
  const wanted = `failback to ${name}, usable since ${ctx.usableSince}`;
  if (inCooldown(ctx)) {
    const last = ctx.observation.record.lastSwitchAt;
    return choice(ctx, 'cooldown', 'gateway', `${wanted}, but the last switch (${last}) is within the cooldown`);
  }
  return toPrimary(ctx, wanted);
}

function operatorFailover(ctx: PathContext): PathChoice {
  const name = describePrimaryPath(ctx.primary);
  if (ctx.current !== 'primary')
    return choice(ctx, 'unchanged', 'gateway', `failover: the routes already take the gateway path`);
  if (!gatewayAvailable(ctx)) {
    return choice(ctx, 'refused', 'primary', `failover: no healthy gateway to take the routes off ${name}`);
  }
  return toGateway(ctx, `operator failover from ${name} to gateway ${ctx.gateway.activeAfter}`);
}

function operatorFailback(ctx: PathContext): PathChoice {
  const name = describePrimaryPath(ctx.primary);
  if (ctx.current === 'primary')
    return choice(ctx, 'unchanged', 'primary', `failback: the routes already take ${name}`);
  if (ctx.health.verdict !== 'usable') {
    return choice(ctx, 'unchanged', 'gateway', `failback: ${name} is not usable (${healthText(ctx)})`);
  }
  return toPrimary(ctx, `operator failback to ${name}`);
}

/** Repair keeps the path, unless the routes are on a primary path that is definitively gone. */
function repair(ctx: PathContext, path: RoutePath): PathChoice {
  if (path === 'primary' && ctx.health.verdict === 'dead') return onPrimary(ctx, true);
  return choice(
    ctx,
    'unchanged',
    path,
    `repair: the routes keep the ${path === 'primary' ? describePrimaryPath(ctx.primary) : 'gateway'} path`,
  );
}

/**
 * Chooses the path of the managed routes: the primary path while it is usable, the gateway group's active member
 * when it is not, back to the primary after FailbackStableSeconds; the same confirmation, cooldown and failback
 * rules as the choice of active gateway. Operator operations bypass the cooldown and the stable period.
 */
export function choosePath(
  observation: RouteObservation,
  health: PrimaryPathHealth,
  gateway: GatewayDecision,
  config: RouteConfig,
  request: PathRequest = {},
): PathChoice {
  const primary = config.primaryPath!;
  const recorded = observation.record.primaryPath ?? null;
  const usable = health.verdict === 'usable';
  const ctx: PathContext = {
    observation,
    config,
    primary,
    health,
    gateway,
    nowMs: instantMs('now', observation.now),
    current: recorded?.path ?? null,
    usableSince: usable ? (recorded?.usableSince ?? observation.now) : null,
    failingSince: health.verdict === 'soft-failed' ? (recorded?.failingSince ?? observation.now) : null,
  };
  const operation = request.operation?.kind;
  if (gateway.outcome === 'refused') return choice(ctx, 'refused', ctx.current ?? 'gateway', gateway.reason);
  if (operation === 'failover') return operatorFailover(ctx);
  if (operation === 'failback' && usable) return operatorFailback(ctx);
  if (ctx.current === null) {
    const name = describePrimaryPath(primary);
    if (usable) return toPrimary(ctx, `${name} is usable: the routes take it`);
    // Nothing can take the routes: they stay as they are, and the gateway path is recorded so the next run with a
    // healthy gateway moves any route left on the unusable primary path.
    if (!gatewayAvailable(ctx)) {
      return choice(ctx, 'unchanged', 'gateway', `${name} is not usable and no gateway is healthy`);
    }
    return toGateway(ctx, `${name} is not usable (${healthText(ctx)}): the routes take gateway ${gateway.activeAfter}`);
  }
  if (operation === 'repair') return repair(ctx, ctx.current);
  if (ctx.current === 'primary') return onPrimary(ctx, request.confirming === true);
  return onGateway(ctx);
}

/**
 * What the gateway decision is asked when a primary path is configured: a failover or failback aimed at the
 * path is the path's business, so the gateway part decides automatically (keeping its active member).
 */
export function gatewayOperation(
  observation: RouteObservation,
  health: PrimaryPathHealth,
  operation: RouteOperation | undefined,
): RouteOperation | undefined {
  const onPrimary = observation.record.primaryPath?.path === 'primary';
  if (operation?.kind === 'failover' && onPrimary && operation.targetInstanceId === undefined) return undefined;
  if (operation?.kind === 'failback' && health.verdict === 'usable') return undefined;
  return operation;
}

/**
 * Why a primary-path signal (a Network Manager change, an API call CloudTrail recorded) does not concern this
 * group, or null: no primary path is configured, or a Network Manager change names another Transit Gateway. An
 * API call is always worth a look (its parameters name attachments, not paths), and the run observes anyway.
 */
export function primaryPathSignalIgnored(
  signal: { signal: 'network-manager' | 'cloudtrail'; name: string; resources: string[] },
  primary: PrimaryPath | null | undefined,
): string | null {
  if (!primary) return `${signal.name}: no primary path is configured`;
  if (signal.signal === 'network-manager' && !signal.resources.some((arn) => arn.endsWith(`/${primary.id}`))) {
    return `${signal.name} concerns another transit gateway, not ${primary.id}`;
  }
  return null;
}
