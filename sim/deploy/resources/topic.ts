import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { physicalName, type ResourceDeployment } from '../stack.js';

/** AWS::SNS::Topic. */
export async function deployTopic({
  logicalId,
  scope,
  clients,
  properties,
  record,
}: ResourceDeployment): Promise<void> {
  const p = properties();
  const topicName = (p.TopicName as string | undefined) ?? physicalName(scope.stackName, logicalId);
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: topicName }));
  record(TopicArn!, { TopicName: topicName, TopicArn: TopicArn! });
}
