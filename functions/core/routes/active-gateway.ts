import { InvalidInputError } from './errors.js';
import { compareHealthiest, comparePreference, healthyMembers } from './health.js';
import { instantMs } from './time.js';
import type {
  ActiveGatewayChoice,
  DecisionOutcome,
  DecisionRequest,
  DecisionTrigger,
  GroupRecord,
  MemberHealth,
  RouteConfig,
  RouteObservation,
} from './types.js';

/** Everything one decision needs, computed once. */
interface DecisionContext {
  observation: RouteObservation;
  config: RouteConfig;
  nowMs: number;
  trigger: DecisionTrigger;
  current: string | null;
  currentHealth: MemberHealth | undefined;
  healthy: MemberHealth[];
  preferred: MemberHealth | undefined;
  byId: Map<string, MemberHealth>;
  base: GroupRecord;
}

function describe(member: MemberHealth): string {
  return `${member.instanceId} (${member.reasons.join(', ') || member.verdict})`;
}

function keep(ctx: DecisionContext, outcome: DecisionOutcome, reason: string, patch: Partial<GroupRecord> = {}) {
  const decision = { outcome, trigger: ctx.trigger, activeBefore: ctx.current, activeAfter: ctx.current, reason };
  return { decision, nextRecord: { ...ctx.base, ...patch } };
}

function switchTo(
  ctx: DecisionContext,
  instanceId: string,
  reason: string,
  kind: 'failover' | 'failback' = 'failover',
): ActiveGatewayChoice {
  const decision = {
    outcome: 'switched' as const,
    trigger: ctx.trigger,
    activeBefore: ctx.current,
    activeAfter: instanceId,
    reason,
    switchKind: ctx.current === null ? ('election' as const) : kind,
  };
  const nextRecord = {
    ...ctx.base,
    activeInstanceId: instanceId,
    // Electing a first active gateway moves no traffic off another: it does not start a cooldown.
    lastSwitchAt: ctx.current === null ? ctx.base.lastSwitchAt : ctx.observation.now,
    pendingSoftFailure: null,
  };
  return { decision, nextRecord };
}

function inCooldown(ctx: DecisionContext): boolean {
  const lastSwitchAt = ctx.observation.record.lastSwitchAt;
  if (lastSwitchAt === null) return false;
  return ctx.nowMs - instantMs('record.lastSwitchAt', lastSwitchAt) < ctx.config.cooldownSeconds * 1000;
}

function cooldownReason(ctx: DecisionContext, wanted: string): string {
  return `${wanted}, but the last switch (${ctx.observation.record.lastSwitchAt}) is within the ${ctx.config.cooldownSeconds} s cooldown`;
}

/**
 * How long a soft failure of the active must last. Two independent signals agreeing (the active's own
 * agent reports its tunnels or BGP down, and the best standby's fresh report has everything up) need
 * only the short corroborated window, which still outlasts a rekey or a charon restart; anything else
 * (a stale or missing report, a failed status check, a standby not fully up) waits the full delay.
 */
function confirmationSeconds(ctx: DecisionContext, active: MemberHealth, best: MemberHealth): number {
  const corroborated = active.agentReportsFailure === true && best.grade === 'full';
  return corroborated ? ctx.config.corroboratedConfirmationSeconds : ctx.config.confirmationDelaySeconds;
}

/** The active gateway is soft-failed: confirm first, then switch unless the cooldown forbids it. */
function onSoftFailure(ctx: DecisionContext, active: MemberHealth, confirming: boolean): ActiveGatewayChoice {
  const best = ctx.healthy[0]!;
  const recorded = ctx.observation.record.pendingSoftFailure;
  const pending = recorded?.instanceId === active.instanceId ? recorded : null;
  const waitSeconds = confirmationSeconds(ctx, active, best);
  const delayMs = waitSeconds * 1000;
  const delayElapsed =
    delayMs === 0 ||
    (pending !== null &&
      ctx.nowMs - instantMs('record.pendingSoftFailure.firstSeenAt', pending.firstSeenAt) >= delayMs);
  const pendingSoftFailure = pending ?? { instanceId: active.instanceId, firstSeenAt: ctx.observation.now };
  if (!confirming && !delayElapsed) {
    const reason = `active ${describe(active)} is soft-failed; observe again in ${waitSeconds} s`;
    const choice = keep(ctx, 'confirm', reason, { pendingSoftFailure });
    return { ...choice, decision: { ...choice.decision, confirmAfterSeconds: waitSeconds } };
  }
  const wanted = `soft failure of active ${describe(active)} confirmed; switch to ${best.instanceId}`;
  if (inCooldown(ctx)) return keep(ctx, 'cooldown', cooldownReason(ctx, wanted), { pendingSoftFailure });
  return switchTo(ctx, best.instanceId, wanted);
}

/** The active gateway is healthy: keep it, unless an automatic failback to the preferred member is due. */
function onHealthyActive(ctx: DecisionContext, active: MemberHealth): ActiveGatewayChoice {
  const cleared = { pendingSoftFailure: null };
  const recovered = ctx.observation.record.pendingSoftFailure?.instanceId === active.instanceId;
  const kept = recovered ? `active ${active.instanceId} recovered` : `active ${active.instanceId} is healthy`;
  const preferred = ctx.preferred;
  const failbackCandidate =
    ctx.config.failback.mode === 'automatic' &&
    preferred !== undefined &&
    preferred.verdict === 'healthy' &&
    preferred.instanceId !== active.instanceId &&
    compareHealthiest(preferred, active) < 0;
  const since = ctx.base.preferredHealthySince;
  if (!failbackCandidate || since === null) return keep(ctx, 'unchanged', kept, cleared);
  const stableMs = ctx.nowMs - instantMs('record.preferredHealthySince.since', since.since);
  const remaining = Math.ceil((ctx.config.failback.stableSeconds * 1000 - stableMs) / 1000);
  if (remaining > 0) {
    return keep(ctx, 'unchanged', `${kept}; failback to ${preferred.instanceId} in ${remaining} s`, cleared);
  }
  const wanted = `failback to preferred ${preferred.instanceId}, healthy since ${since.since}`;
  if (inCooldown(ctx)) return keep(ctx, 'cooldown', cooldownReason(ctx, wanted), cleared);
  return switchTo(ctx, preferred.instanceId, wanted, 'failback');
}

/** Level-triggered automatic decision. */
function automatic(ctx: DecisionContext, confirming: boolean): ActiveGatewayChoice {
  const best = ctx.healthy[0]!;
  const active = ctx.currentHealth;
  if (ctx.current === null) return switchTo(ctx, best.instanceId, `no active gateway; elected ${best.instanceId}`);
  if (active === undefined) {
    return switchTo(ctx, best.instanceId, `active ${ctx.current} is not in the group; switched to ${best.instanceId}`);
  }
  if (active.verdict === 'dead') {
    return switchTo(ctx, best.instanceId, `active ${describe(active)} is dead; switched at once to ${best.instanceId}`);
  }
  if (active.verdict === 'soft-failed') return onSoftFailure(ctx, active, confirming);
  return onHealthyActive(ctx, active);
}

function failover(ctx: DecisionContext, targetInstanceId: string | undefined): ActiveGatewayChoice {
  if (targetInstanceId === undefined) {
    const next = ctx.healthy.find((member) => member.instanceId !== ctx.current);
    if (next === undefined) return keep(ctx, 'refused', `failover: no healthy member other than ${ctx.current}`);
    return switchTo(ctx, next.instanceId, `operator failover to the next healthy member ${next.instanceId}`);
  }
  const target = ctx.byId.get(targetInstanceId);
  if (target === undefined) {
    return keep(ctx, 'refused', `failover: ${targetInstanceId} is not a member of group ${ctx.config.group}`);
  }
  if (target.verdict !== 'healthy') return keep(ctx, 'refused', `failover: ${describe(target)} is not healthy`);
  if (target.instanceId === ctx.current) {
    return keep(ctx, 'unchanged', `failover: ${target.instanceId} is already the active gateway`);
  }
  return switchTo(ctx, target.instanceId, `operator failover to ${target.instanceId}`);
}

function failback(ctx: DecisionContext): ActiveGatewayChoice {
  const preferred = ctx.preferred!;
  if (preferred.verdict !== 'healthy')
    return keep(ctx, 'refused', `failback: preferred ${describe(preferred)} is not healthy`);
  if (preferred.instanceId === ctx.current) {
    return keep(ctx, 'unchanged', `failback: preferred ${preferred.instanceId} is already active`);
  }
  return switchTo(ctx, preferred.instanceId, `operator failback to preferred ${preferred.instanceId}`, 'failback');
}

/** Repair keeps a live active gateway (even soft-failed) and only replaces a dead or missing one. */
function repair(ctx: DecisionContext): ActiveGatewayChoice {
  const active = ctx.currentHealth;
  if (active === undefined || active.verdict === 'dead') return automatic(ctx, true);
  const state = active.verdict === 'healthy' ? 'healthy' : `soft-failed: ${active.reasons.join(', ')}`;
  return keep(ctx, 'unchanged', `repair: routes kept on active ${active.instanceId} (${state})`);
}

function trackPreferred(preferred: MemberHealth | undefined, observation: RouteObservation) {
  if (preferred?.verdict !== 'healthy') return null;
  const tracked = observation.record.preferredHealthySince;
  if (tracked?.instanceId === preferred.instanceId) return tracked;
  return { instanceId: preferred.instanceId, since: observation.now };
}

function checkInput(observation: RouteObservation, health: MemberHealth[], config: RouteConfig): void {
  if (observation.group !== config.group) {
    throw new InvalidInputError('group', `observation is for '${observation.group}', not '${config.group}'`);
  }
  if (observation.record.group !== config.group) {
    throw new InvalidInputError('record.group', `record is for '${observation.record.group}', not '${config.group}'`);
  }
  const ids = health.map((member) => member.instanceId);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new InvalidInputError('members', `${duplicate} appears twice`);
}

/**
 * Chooses the active gateway: keeps a healthy one, confirms soft failures, switches at once on definitive ones,
 * honours the cooldown and the failback policy, and applies operator operations (which bypass the cooldown).
 */
export function chooseActiveGateway(
  observation: RouteObservation,
  health: MemberHealth[],
  config: RouteConfig,
  request: DecisionRequest = {},
): ActiveGatewayChoice {
  checkInput(observation, health, config);
  const byId = new Map(health.map((member) => [member.instanceId, member]));
  const current = observation.record.activeInstanceId;
  const preferred = [...health].sort(comparePreference)[0];
  const ctx: DecisionContext = {
    observation,
    config,
    nowMs: instantMs('now', observation.now),
    trigger: request.operation?.kind ?? 'automatic',
    current,
    currentHealth: current === null ? undefined : byId.get(current),
    healthy: healthyMembers(health),
    preferred,
    byId,
    base: { ...observation.record, preferredHealthySince: trackPreferred(preferred, observation) },
  };
  if (ctx.healthy.length === 0) {
    const summary = health.map(describe).join('; ') || 'the group has no members';
    return keep(ctx, 'no-healthy-member', `no healthy member in group ${config.group}: ${summary}`);
  }
  switch (request.operation?.kind) {
    case 'failover':
      return failover(ctx, request.operation.targetInstanceId);
    case 'failback':
      return failback(ctx);
    case 'repair':
      return repair(ctx);
    default:
      return automatic(ctx, request.confirming === true);
  }
}
