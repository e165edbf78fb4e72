import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeployError, type ResolveScope, resolveValue } from '../intrinsics.js';
import { type DeployedStack, physicalName } from '../stack.js';

type EventSource = { Type?: string; Properties?: Record<string, unknown> };

/** SAM event sources of a function or state machine, as EventBridge rules targeting it. */
export async function createEventSources(
  logicalId: string,
  targetArn: string,
  events: unknown,
  scope: ResolveScope,
  stack: DeployedStack,
  client: EventBridgeClient,
  where: string,
): Promise<void> {
  for (const [eventName, source] of Object.entries((events ?? {}) as Record<string, EventSource>)) {
    const at = `${where}.Properties.Events.${eventName}`;
    const p = resolveValue(source.Properties ?? {}, scope, `${at}.Properties`) as Record<string, unknown>;
    const ruleName = physicalName(scope.stackName, `${logicalId}${eventName}`, 64);
    let pattern: unknown;
    let schedule: string | undefined;
    switch (source.Type) {
      case 'EventBridgeRule':
      case 'CloudWatchEvent':
        pattern = p.Pattern;
        if (!pattern) throw new DeployError(`${at}.Properties.Pattern is required`);
        break;
      case 'Schedule':
        schedule = p.Schedule as string;
        break;
      case 'ScheduleV2':
        // Simulated with the rule engine: Scheduler's at/rate/cron semantics and target Input are the same.
        schedule = p.ScheduleExpression as string;
        break;
      default:
        throw new DeployError(`${at}.Type ${source.Type ?? '(none)'} is not supported by the local deploy`);
    }
    const enabled = p.Enabled === false || p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    await client.send(
      new PutRuleCommand({
        Name: ruleName,
        ...(pattern ? { EventPattern: JSON.stringify(pattern) } : {}),
        ...(schedule ? { ScheduleExpression: schedule } : {}),
        State: enabled,
      }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: ruleName,
        Targets: [
          {
            Id: `${logicalId}${eventName}Target`.slice(0, 64),
            Arn: targetArn,
            ...(p.Input !== undefined
              ? { Input: typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input) }
              : {}),
            ...(p.InputPath ? { InputPath: p.InputPath as string } : {}),
            ...(p.InputTransformer ? { InputTransformer: p.InputTransformer as never } : {}),
          },
        ],
      }),
    );
    stack.rules.push({
      name: ruleName,
      origin: `${logicalId}.${eventName}`,
      target: targetArn,
      ...(pattern ? { pattern } : {}),
      ...(schedule ? { schedule } : {}),
    });
  }
}
