import { physicalName, type ResourceDeployment } from '../stack.js';

/** Types that are declared for AWS and accepted here without a local counterpart. */
export const NOT_SIMULATED = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::SNS::TopicPolicy',
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::Subscription',
  'AWS::Lambda::Permission',
]);

/**
 * A type AWS needs and the simulated account has no counterpart for: recorded so that Ref and Fn::GetAtt
 * resolve, and nothing enforces it. Alarms are kept with their properties: the drill evaluates them on
 * the metrics the functions emit.
 */
export async function recordDeclaredOnly({
  logicalId,
  resource,
  scope,
  stack,
  properties,
  record,
}: ResourceDeployment): Promise<void> {
  const queue = resource.Type === 'AWS::SQS::Queue';
  const name = physicalName(scope.stackName, logicalId, queue ? 80 : 255);
  if (resource.Type === 'AWS::CloudWatch::Alarm') stack.alarms[logicalId] = properties();
  const attributes: Record<string, string> = queue
    ? {
        Arn: `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`,
        QueueName: name,
        QueueUrl: `https://sqs.${scope.region}.amazonaws.com/${scope.accountId}/${name}`,
      }
    : { Arn: `arn:aws:local:${scope.region}:${scope.accountId}:${logicalId}/${name}`, GroupId: `sg-${name}` };
  record(queue ? attributes.QueueUrl! : name, attributes, false);
}
