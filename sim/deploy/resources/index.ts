import type { ResourceDeployer } from '../stack.js';
import { NOT_SIMULATED, recordDeclaredOnly } from './declared-only.js';
import { deployFunction } from './function.js';
import { deployRule } from './rule.js';
import { deployStateMachine } from './state-machine.js';
import { deployTable } from './table.js';
import { deployTopic } from './topic.js';

/** One deployer per resource type the local deploy understands; any other type fails the deploy. */
export const DEPLOYERS: Readonly<Record<string, ResourceDeployer>> = {
  'AWS::DynamoDB::Table': deployTable,
  'AWS::SNS::Topic': deployTopic,
  'AWS::Serverless::Function': deployFunction,
  'AWS::Serverless::StateMachine': deployStateMachine,
  'AWS::Events::Rule': deployRule,
  ...Object.fromEntries([...NOT_SIMULATED].map((type) => [type, recordDeclaredOnly])),
};
