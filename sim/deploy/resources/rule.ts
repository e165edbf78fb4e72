import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { physicalName, type ResourceDeployment } from '../stack.js';

/** AWS::Events::Rule, with its targets. */
export async function deployRule({
  logicalId,
  scope,
  stack,
  clients,
  properties,
  record,
}: ResourceDeployment): Promise<void> {
  const p = properties();
  const ruleName = (p.Name as string | undefined) ?? physicalName(scope.stackName, logicalId, 64);
  const { RuleArn } = await clients.events.send(
    new PutRuleCommand({
      Name: ruleName,
      ...(p.EventPattern ? { EventPattern: JSON.stringify(p.EventPattern) } : {}),
      ...(p.ScheduleExpression ? { ScheduleExpression: p.ScheduleExpression as string } : {}),
      State: p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    }),
  );
  const targets = (p.Targets ?? []) as { Id: string; Arn: string; Input?: string; InputPath?: string }[];
  if (targets.length) await clients.events.send(new PutTargetsCommand({ Rule: ruleName, Targets: targets as never }));
  for (const t of targets) {
    stack.rules.push({
      name: ruleName,
      origin: logicalId,
      target: t.Arn,
      pattern: p.EventPattern,
      ...(p.ScheduleExpression ? { schedule: p.ScheduleExpression as string } : {}),
    });
  }
  record(ruleName, { Arn: RuleArn! });
}
