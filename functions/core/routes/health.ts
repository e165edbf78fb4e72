import { instantMs } from './time.js';
import type {
  AgentReport,
  GatewayMember,
  HealthGrade,
  HealthVerdict,
  MemberHealth,
  RouteConfig,
  RouteObservation,
} from './types.js';

const DEAD_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);
const GRADE_ORDER: Record<HealthGrade, number> = { full: 0, partial: 1, unreported: 2 };

function definitiveFailures(member: GatewayMember, observation: RouteObservation): string[] {
  const reasons: string[] = [];
  if (DEAD_STATES.has(member.state)) reasons.push(`instance is ${member.state}`);
  const eni = member.primaryNetworkInterfaceId;
  if (eni === null || !Object.hasOwn(observation.networkInterfaces, eni)) {
    reasons.push(`primary ENI ${eni ?? '(none)'} does not exist`);
  } else if (observation.networkInterfaces[eni] !== member.instanceId) {
    reasons.push(`primary ENI ${eni} is not attached to ${member.instanceId}`);
  }
  return reasons;
}

function instanceSoftFailures(member: GatewayMember): string[] {
  const reasons: string[] = [];
  if (member.state === 'pending') reasons.push('instance is pending');
  if (member.systemStatus === 'impaired') reasons.push('system status check impaired');
  if (member.instanceStatus === 'impaired') reasons.push('instance status check impaired');
  return reasons;
}

function agentSoftFailures(report: AgentReport): string[] {
  const reasons: string[] = [];
  if (!report.tunnels.some((tunnel) => tunnel.status === 'up')) reasons.push('all tunnels down');
  if (report.bgp === 'down') reasons.push('BGP down');
  return reasons;
}

function fullyUp(report: AgentReport): boolean {
  return report.bgp === 'up' && report.tunnels.every((tunnel) => tunnel.status === 'up');
}

/** The member's fresh agent report, or the reason it has none. */
function freshReport(
  member: GatewayMember,
  observation: RouteObservation,
  config: RouteConfig,
): { report: AgentReport } | { missing: string } {
  const report = observation.agentReports.find((candidate) => candidate.instanceId === member.instanceId);
  if (report === undefined) return { missing: 'no agent report' };
  // Counted from when the product received it: a gateway clock running ahead or behind changes nothing.
  const ageSeconds =
    (instantMs('now', observation.now) - instantMs('agentReports.receivedAt', report.receivedAt)) / 1000;
  if (ageSeconds > config.agentStaleAfterSeconds) {
    return { missing: `agent report stale (${Math.round(ageSeconds)} s old)` };
  }
  return { report };
}

/** Judges one member: dead (definitive), soft-failed (needs confirmation) or healthy, with a grade for ranking. */
export function assessMember(member: GatewayMember, observation: RouteObservation, config: RouteConfig): MemberHealth {
  const fresh = freshReport(member, observation, config);
  const grade: HealthGrade = 'report' in fresh ? (fullyUp(fresh.report) ? 'full' : 'partial') : 'unreported';
  const dead = definitiveFailures(member, observation);
  const soft = [
    ...instanceSoftFailures(member),
    ...('report' in fresh ? agentSoftFailures(fresh.report) : config.requireAgentReports ? [fresh.missing] : []),
  ];
  const verdict: HealthVerdict = dead.length > 0 ? 'dead' : soft.length > 0 ? 'soft-failed' : 'healthy';
  const health: MemberHealth = {
    instanceId: member.instanceId,
    verdict,
    grade,
    priority: member.priority,
    reasons: [...dead, ...soft],
  };
  if ('report' in fresh && agentSoftFailures(fresh.report).length > 0) health.agentReportsFailure = true;
  return health;
}

/** Judges every member of the group, in observation order. */
export function assessHealth(observation: RouteObservation, config: RouteConfig): MemberHealth[] {
  return observation.members.map((member) => assessMember(member, observation, config));
}

/** Orders members best first: grade (full, partial, unreported), then priority (missing = last), then id. */
export function compareHealthiest(a: MemberHealth, b: MemberHealth): number {
  return GRADE_ORDER[a.grade] - GRADE_ORDER[b.grade] || comparePreference(a, b);
}

/** Orders members by preference alone: priority (lower wins, missing = last), then instance id. */
export function comparePreference(a: { priority: number | null; instanceId: string }, b: typeof a): number {
  const priorityA = a.priority ?? Number.POSITIVE_INFINITY;
  const priorityB = b.priority ?? Number.POSITIVE_INFINITY;
  if (priorityA !== priorityB) return priorityA < priorityB ? -1 : 1;
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
}

/** Healthy members, healthiest first. */
export function healthyMembers(health: MemberHealth[]): MemberHealth[] {
  return health.filter((member) => member.verdict === 'healthy').sort(compareHealthiest);
}
