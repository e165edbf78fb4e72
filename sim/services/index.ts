import type { SimService } from '../core/service.js';
import { CloudFormationService } from './cloudformation.js';
import { DynamoDbService } from './dynamodb.js';
import { Ec2Service } from './ec2/index.js';
import { EventsService } from './events.js';
import { LambdaService } from './lambda/index.js';
import { ResolverService } from './resolver/index.js';
import { SfnService } from './sfn/index.js';
import { SnsService } from './sns.js';

/**
 * Every service the simulated account serves, freshly created and wired to each other the way
 * AWS links them: EC2 emits instance state-change events on the default bus, EventBridge delivers
 * to state machines, functions and topics, Route 53 Resolver checks VPCs and subnets against EC2.
 */
export function defaultServices(): SimService[] {
  const ec2 = new Ec2Service();
  const sns = new SnsService();
  const lambda = new LambdaService();
  const sfn = new SfnService();
  const events = new EventsService(async (arn, input) => {
    if (arn.includes(':states:') && arn.includes(':stateMachine:')) {
      const { executionArn } = sfn.actions.StartExecution({ stateMachineArn: arn, input }) as { executionArn: string };
      return executionArn;
    }
    if (arn.includes(':lambda:')) {
      const result = await lambda.invoke(arn, JSON.parse(input), 'Event');
      return `invoked ${arn.split(':').pop()} (${result.requestId})`;
    }
    if (arn.includes(':sns:')) {
      sns.record(arn, input);
      return `published to ${arn.split(':').pop()}`;
    }
    throw new Error(`the simulated EventBridge cannot deliver to ${arn}`);
  });
  ec2.onInstanceStateChange((change) => {
    events.publish({
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: ec2.world.accountId,
      time: change.time.replace(/\.\d{3}Z$/, 'Z'),
      region: ec2.world.region,
      resources: [`arn:aws:ec2:${ec2.world.region}:${ec2.world.accountId}:instance/${change.instanceId}`],
      detail: { 'instance-id': change.instanceId, state: change.state },
    });
  });
  const resolver = new ResolverService({
    vpcExists: (vpcId) => ec2.world.state.vpcs.has(vpcId),
    securityGroupExists: (groupId) => ec2.world.state.securityGroups.has(groupId),
    subnetVpcId: (subnetId) => ec2.world.state.subnets.get(subnetId)?.vpcId,
  });
  return [new DynamoDbService(), ec2, sns, events, resolver, lambda, sfn, new CloudFormationService()];
}
