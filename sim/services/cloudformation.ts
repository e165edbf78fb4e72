import { randomUUID } from 'node:crypto';
import { AwsError } from '../core/errors.js';
import { type AwsQueryService, SIM_ACCOUNT_ID, SIM_DEFAULT_REGION } from '../core/service.js';

/** A stack the local deploy created, as CloudFormation describes it. */
export interface SimStack {
  stackName: string;
  stackId: string;
  parameters: Record<string, string>;
  outputs: { key: string; value: string; description?: string }[];
  resources: { logicalId: string; physicalId: string; type: string }[];
  createdAt: string;
}

/** What the local deploy hands over to describe a stack (the id and creation time are made here). */
export type StackRegistration = Omit<SimStack, 'stackId' | 'createdAt'>;

/**
 * CloudFormation's read side for stacks the local deploy created: DescribeStacks, ListStacks,
 * ListStackResources and DescribeStackResources answer as for a real stack, so tools find a local
 * stack's outputs and resources exactly as they find a deployed one. Stacks cannot be created,
 * updated or deleted through the API (the local deploy is `npm run sim` or the drill): known difference.
 */
export class CloudFormationService implements AwsQueryService {
  readonly name = 'cloudformation';
  readonly protocol = 'query';
  readonly xmlNamespace = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
  readonly throttleError = { code: 'Throttling', status: 400 };
  private readonly stacks = new Map<string, SimStack>();

  /** Records a deployed stack; deploying a stack of the same name again replaces it (a new stack id). */
  register(stack: StackRegistration, createdAt: string): SimStack {
    const full: SimStack = {
      ...stack,
      stackId: `arn:aws:cloudformation:${SIM_DEFAULT_REGION}:${SIM_ACCOUNT_ID}:stack/${stack.stackName}/${randomUUID()}`,
      createdAt,
    };
    this.stacks.set(stack.stackName, full);
    return full;
  }

  readonly actions = {
    DescribeStacks: (params: { StackName?: string }) => {
      const stacks = params.StackName ? [this.find(params.StackName)] : [...this.stacks.values()];
      return {
        Stacks: stacks.map((s) => ({
          StackId: s.stackId,
          StackName: s.stackName,
          CreationTime: s.createdAt,
          StackStatus: 'CREATE_COMPLETE',
          Parameters: Object.entries(s.parameters).map(([ParameterKey, ParameterValue]) => ({
            ParameterKey,
            ParameterValue,
          })),
          Outputs: s.outputs.map((o) => ({
            OutputKey: o.key,
            OutputValue: o.value,
            ...(o.description ? { Description: o.description } : {}),
          })),
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
          DisableRollback: false,
        })),
      };
    },
    ListStacks: () => ({
      StackSummaries: [...this.stacks.values()].map((s) => ({
        StackId: s.stackId,
        StackName: s.stackName,
        CreationTime: s.createdAt,
        StackStatus: 'CREATE_COMPLETE',
      })),
    }),
    ListStackResources: (params: { StackName?: string }) => {
      const stack = this.find(params.StackName);
      return {
        StackResourceSummaries: stack.resources.map((r) => ({
          LogicalResourceId: r.logicalId,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          LastUpdatedTimestamp: stack.createdAt,
          ResourceStatus: 'CREATE_COMPLETE',
        })),
      };
    },
    DescribeStackResources: (params: { StackName?: string; LogicalResourceId?: string }) => {
      const stack = this.find(params.StackName);
      return {
        StackResources: stack.resources
          .filter((r) => !params.LogicalResourceId || r.logicalId === params.LogicalResourceId)
          .map((r) => ({
            StackName: stack.stackName,
            StackId: stack.stackId,
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            Timestamp: stack.createdAt,
            ResourceStatus: 'CREATE_COMPLETE',
          })),
      };
    },
  };

  private find(nameOrId: string | undefined): SimStack {
    if (!nameOrId) throw new AwsError('ValidationError', '1 validation error detected: StackName must not be null');
    const stack = this.stacks.get(nameOrId) ?? [...this.stacks.values()].find((s) => s.stackId === nameOrId);
    // CloudFormation's answer for a stack that does not exist (as the AWS CLI shows it).
    if (!stack) throw new AwsError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    return stack;
  }

  reset(): void {
    this.stacks.clear();
  }

  snapshot(): unknown {
    return { stacks: [...this.stacks.values()] };
  }
}
