import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import * as z from 'zod';
import { InvalidInputError } from './errors.js';
import { isoUtcProblem } from './routes/agent-report.js';

// What can start a reconciler: an EventBridge event of a signal the template's rules match, the
// schedule's input, or an operator's manual operation. Validated before anything else happens.

const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id (i-...)');

// The envelope every EventBridge event shares, as Powertools' parser defines it (detail left unknown:
// each signal's detail is checked by its own schema below); an empty id is refused, as replays are
// recognised by it.
const envelope = EventBridgeSchema.extend({ id: z.string().min(1) });

export const instanceStateDetail = z.object({
  'instance-id': instanceId,
  state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']),
});

export const stackResourceDetail = z.object({
  'stack-id': z.string(),
  'logical-resource-id': z.string(),
  'physical-resource-id': z.string().optional(),
  'resource-type': z.string(),
  'status-details': z.object({ status: z.string(), 'status-reason': z.string().optional() }),
});

/** The gateway agent's report: tunnel and BGP state of one CGW instance. */
export const agentReportDetail = z.object({
  group: z.string().min(1),
  instanceId,
  tunnels: z.array(z.object({ name: z.string().min(1), status: z.enum(['up', 'down']) })).min(1),
  bgp: z.enum(['up', 'down', 'unknown']),
  /** The gateway's clock: ISO-8601 UTC, checked for sanity only (order and freshness do not rely on it). */
  reportedAt: z.string().superRefine((value, ctx) => {
    const problem = isoUtcProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** The gateway's boot (kernel boot_id); sequence numbers count within it. */
  bootId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be the boot id: 1 to 64 letters, digits or dashes'),
  /** Per-boot sequence number: reports of one boot are ordered by it. */
  sequence: z.number().int('must be a whole number').min(0).max(Number.MAX_SAFE_INTEGER),
  reason: z.enum(['updown', 'heartbeat', 'boot', 'bgp', 'bfd']).optional(),
});

export const alarmDetail = z.object({
  alarmName: z.string(),
  state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().optional() }),
  previousState: z.object({ value: z.string() }).optional(),
  configuration: z
    .object({
      metrics: z
        .array(
          z.object({
            metricStat: z
              .object({
                metric: z.object({
                  namespace: z.string(),
                  name: z.string(),
                  dimensions: z.record(z.string(), z.string()).optional(),
                }),
              })
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const healthDetail = z.object({
  service: z.string(),
  eventTypeCode: z.string(),
  eventTypeCategory: z.string(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).optional(),
});

/** Network Manager topology changes (delivered in us-west-2, its home Region): only the fields read here. */
export const networkManagerDetail = z.object({
  changeType: z.string().min(1),
  changeDescription: z.string().optional(),
});

/** An API call CloudTrail delivers to EventBridge: only the fields read here (requestParameters vary by call). */
export const cloudTrailDetail = z.object({
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
});

export const manualOperation = z.strictObject({
  operation: z.enum(['repair', 'failover', 'failback', 'reconcile', 'sweep']),
  dryRun: z.boolean().default(false),
  targetInstanceId: instanceId.optional(),
  overrideBlastRadius: z.boolean().default(false),
  requestedBy: z.string().max(200).optional(),
  reason: z.string().max(1000).optional(),
});

export type AgentReportDetail = z.infer<typeof agentReportDetail>;
export type ManualOperation = z.infer<typeof manualOperation>;

/** An operator's request in one line, for the execution's output and the log. */
export function describeOperation(op: ManualOperation): string {
  return `${op.operation}${op.targetInstanceId ? ` to ${op.targetInstanceId}` : ''}${op.dryRun ? ' (dry run)' : ''} by ${op.requestedBy ?? 'an operator'}`;
}

/** A validated trigger, in the reconcilers' words. */
export type Trigger =
  | { kind: 'instance-state'; eventId: string; instanceId: string; state: string }
  | { kind: 'stack-replaced'; eventId: string; physicalId: string | null; status: string }
  | { kind: 'agent-report'; eventId: string; report: AgentReportDetail }
  | {
      kind: 'alarm';
      eventId: string;
      alarmName: string;
      state: string;
      metric: string | null;
      /** The instances its metrics are about (their `InstanceId` dimension): status-check alarms name one. */
      instanceIds: string[];
    }
  | { kind: 'health'; eventId: string; eventTypeCode: string; service: string }
  | { kind: 'schedule'; eventId: string }
  | {
      kind: 'primary-path';
      eventId: string;
      /** What announced it: a Network Manager topology change, or an EC2 API call recorded by CloudTrail. */
      signal: 'network-manager' | 'cloudtrail';
      /** The change type or API call name. */
      name: string;
      /** The event's resources (ARNs), to tell whether it concerns the configured primary path. */
      resources: string[];
    }
  | { kind: 'manual'; operation: ManualOperation };

function parseWith<T>(schema: z.ZodType<T>, value: unknown, at: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // An unknown key is named itself, so a typo (`dryrun`) points at the typo.
  const keys = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [];
  const path = [at, ...issue.path.map(String), ...keys].filter(Boolean).join('.');
  throw new InvalidInputError(
    path || '(input)',
    issue.code === 'unrecognized_keys' ? 'is not a field of this input' : issue.message,
  );
}

/** Validates and classifies a reconciler's input; InvalidInputError names the offending field. */
export function parseTrigger(input: unknown): Trigger {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError('(input)', 'must be an EventBridge event or a manual operation object');
  }
  if (!('source' in input) && !('detail-type' in input)) {
    return { kind: 'manual', operation: parseWith(manualOperation, input, '') };
  }
  const event = parseWith(envelope, input, '');
  const signal = `${event.source} / ${event['detail-type']}`;
  switch (signal) {
    case 'aws.ec2 / EC2 Instance State-change Notification': {
      const d = parseWith(instanceStateDetail, event.detail, 'detail');
      return { kind: 'instance-state', eventId: event.id, instanceId: d['instance-id'], state: d.state };
    }
    case 'aws.cloudformation / CloudFormation Resource Status Change': {
      const d = parseWith(stackResourceDetail, event.detail, 'detail');
      return {
        kind: 'stack-replaced',
        eventId: event.id,
        physicalId: d['physical-resource-id'] ?? null,
        status: d['status-details'].status,
      };
    }
    case 'cgw-autopilot.agent / Gateway Tunnel State':
      return { kind: 'agent-report', eventId: event.id, report: parseWith(agentReportDetail, event.detail, 'detail') };
    case 'aws.cloudwatch / CloudWatch Alarm State Change': {
      const d = parseWith(alarmDetail, event.detail, 'detail');
      const metrics = d.configuration?.metrics ?? [];
      const metric = metrics[0]?.metricStat?.metric;
      const instanceIds = metrics
        .map((m) => m.metricStat?.metric.dimensions?.InstanceId)
        .filter((id): id is string => id !== undefined);
      return {
        kind: 'alarm',
        eventId: event.id,
        alarmName: d.alarmName,
        state: d.state.value,
        metric: metric ? `${metric.namespace}/${metric.name}` : null,
        instanceIds: [...new Set(instanceIds)],
      };
    }
    case 'aws.health / AWS Health Event': {
      const d = parseWith(healthDetail, event.detail, 'detail');
      return { kind: 'health', eventId: event.id, eventTypeCode: d.eventTypeCode, service: d.service };
    }
    case 'aws.networkmanager / Network Manager Topology Change': {
      const d = parseWith(networkManagerDetail, event.detail, 'detail');
      const resources = event.resources;
      return { kind: 'primary-path', eventId: event.id, signal: 'network-manager', name: d.changeType, resources };
    }
    case 'aws.ec2 / AWS API Call via CloudTrail': {
      const d = parseWith(cloudTrailDetail, event.detail, 'detail');
      const resources = event.resources;
      return { kind: 'primary-path', eventId: event.id, signal: 'cloudtrail', name: d.eventName, resources };
    }
    case 'aws.events / Scheduled Event':
    case 'aws.scheduler / Scheduled Event':
      return { kind: 'schedule', eventId: event.id };
    default:
      throw new InvalidInputError('source', `'${signal}' is not a signal cgw-autopilot handles`);
  }
}

/** A trigger in one line, for the execution's output and the log. */
export function describeTrigger(trigger: Exclude<Trigger, { kind: 'manual' }>): string {
  switch (trigger.kind) {
    case 'instance-state':
      return `${trigger.instanceId} is ${trigger.state}`;
    case 'stack-replaced':
      return `stack resource ${trigger.physicalId ?? '?'} ${trigger.status}`;
    case 'agent-report':
      return `${trigger.report.instanceId} reports tunnels ${trigger.report.tunnels.map((t) => `${t.name} ${t.status}`).join(', ')}, BGP ${trigger.report.bgp}`;
    case 'alarm':
      return `alarm ${trigger.alarmName} is ${trigger.state}`;
    case 'health':
      return `AWS Health ${trigger.service} ${trigger.eventTypeCode}`;
    case 'schedule':
      return 'periodic sweep';
    case 'primary-path':
      return `${trigger.signal === 'cloudtrail' ? 'API call' : 'Network Manager'} ${trigger.name}`;
  }
}
