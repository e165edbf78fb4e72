import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { DeployError, resolveValue } from '../intrinsics.js';
import { physicalName, type ResourceDeployment, rejectUnknown, withoutEvents } from '../stack.js';
import { createEventSources } from './event-sources.js';

/** Properties of a state machine the local deploy reads, or knowingly accepts without simulating. */
const STATE_MACHINE_PROPERTIES = new Set([
  'DefinitionUri',
  'DefinitionSubstitutions',
  'Type',
  'Policies',
  'Role',
  'Events',
  'Logging',
  'Tracing',
  'Name',
  'Tags',
]);

/** AWS::Serverless::StateMachine: its ASL file with DefinitionSubstitutions filled, and its event sources. */
export async function deployStateMachine({
  logicalId,
  resource,
  where,
  scope,
  stack,
  clients,
  templatePath,
  record,
}: ResourceDeployment): Promise<void> {
  const root = dirname(templatePath);
  rejectUnknown(resource.Properties ?? {}, STATE_MACHINE_PROPERTIES, where);
  const p = resolveValue(withoutEvents(resource.Properties ?? {}), scope, `${where}.Properties`) as Record<
    string,
    unknown
  >;
  if (typeof p.DefinitionUri !== 'string')
    throw new DeployError(`${where}.Properties.DefinitionUri must be a file path`);
  const substitutions = (p.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  const text = readFileSync(resolve(root, p.DefinitionUri), 'utf8').replace(
    /\$\{([A-Za-z0-9_.:]+)\}/g,
    (_whole, key: string) => {
      if (!(key in substitutions))
        throw new DeployError(`${where}: \${${key}} in ${p.DefinitionUri} has no DefinitionSubstitutions value`);
      return String(substitutions[key]);
    },
  );
  const name = (p.Name as string | undefined) ?? physicalName(scope.stackName, logicalId, 80);
  const created = await clients.sfn.send(
    new CreateStateMachineCommand({
      name,
      definition: text,
      roleArn: `arn:aws:iam::${scope.accountId}:role/${name}-role`,
      type: (p.Type as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
    }),
  );
  record(created.stateMachineArn!, { Arn: created.stateMachineArn!, Name: name });
  await createEventSources(
    logicalId,
    created.stateMachineArn!,
    resource.Properties?.Events,
    scope,
    stack,
    clients.events,
    where,
  );
}
