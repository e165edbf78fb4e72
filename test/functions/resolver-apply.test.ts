import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolverRuleAction } from '../../functions/core/resolver-rules/index.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { createNetwork, createOutboundEndpoint, resolverClient } from '../sim/resolver-fixtures.js';

const RUN = 'arn:aws:states:eu-west-2:123456789012:execution:resolver:run-1';

// The resolver-apply handler in-process against the simulated account (its SDK clients follow
// AWS_ENDPOINT_URL, as in the simulated Lambda): the state table and Route 53 Resolver answer as AWS does.
describe('resolver-apply handler on the simulated account', () => {
  let sim: SimAccount;
  let handler: typeof import('../../functions/resolver-apply/index.js').handler;
  let store: import('../../functions/adapters/resolver-state.js').ResolverStateStore;
  let endpointId: string;
  let vpcId: string;

  beforeAll(async () => {
    sim = await startSim();
    const network = await createNetwork(sim, '10.0');
    vpcId = network.vpcId;
    endpointId = await createOutboundEndpoint(resolverClient(sim), network.subnetIds);
    // The state table as template.yaml declares it.
    await new DynamoDBClient({ endpoint: sim.endpoint, region: 'eu-west-2' }).send(
      new CreateTableCommand({
        TableName: 'state',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // The handler reads its configuration at import.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: sim.endpoint,
      GROUP_NAME: 'prod',
      STATE_TABLE: 'state',
      RESOLVER_TRACKED_NAMES: 'db.vendor.example',
      RESOLVER_TARGET_IPS: '192.0.2.10',
      RESOLVER_OUTBOUND_ENDPOINT_ID: endpointId,
      RESOLVER_VPC_IDS: vpcId,
    });
    ({ handler } = await import('../../functions/resolver-apply/index.js'));
    const { ResolverStateStore } = await import('../../functions/adapters/resolver-state.js');
    store = new ResolverStateStore('state', 'prod');
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL;
    await sim.stop();
  });

  it('stores every outcome, then throws RetryableAwsError while throttled actions remain', async () => {
    // Prepare: the run holds the lease and its plan is stored, as Decide leaves them.
    const now = () => new Date().toISOString();
    await store.acquireLease(RUN, now(), 600);
    const create: ResolverRuleAction = {
      kind: 'create-rule',
      actionId: 'create-1',
      domainName: 'db.vendor.example',
      before: null,
      after: {
        name: 'cgwap-prod-db',
        creatorRequestId: 'cgw-autopilot-abc',
        domainName: 'db.vendor.example',
        ruleType: 'FORWARD',
        targetIps: [{ ip: '192.0.2.10', port: 53 }],
        resolverEndpointId: endpointId,
        tags: [{ key: 'cgw-autopilot:managed', value: 'true' }],
      },
    };
    const associate: ResolverRuleAction = {
      kind: 'associate-rule',
      actionId: 'associate-1',
      domainName: 'db.vendor.example',
      ruleId: null,
      createActionId: 'create-1',
      vpcId,
      before: null,
      after: { vpcId },
    };
    await store.putRunPart(RUN, 'plan', { actions: [create, associate] }, now(), 3600);
    sim.faults.add({
      service: 'route53resolver',
      action: 'CreateResolverRule',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 1000,
    });
    const since = sim.log.mark();

    // Act
    const applying = handler({ executionId: RUN });

    // Assess
    await expect(applying).rejects.toMatchObject({ name: 'RetryableAwsError' });
    const { outcomes } = await store.getRun<unknown, { actionId: string; status: string; retryable?: boolean }[]>(RUN);
    expect(outcomes).toMatchObject([
      { actionId: 'create-1', status: 'failed', retryable: true },
      { actionId: 'associate-1', status: 'skipped' },
    ]);
    const resolverCalls = sim.log.all({ since, service: 'route53resolver' }).map((r) => r.action);
    expect(resolverCalls).toContain('CreateResolverRule');
    expect(resolverCalls).not.toContain('AssociateResolverRule');
    // The fencing check renewed the lease before the create: it is still this run's.
    await expect(store.holdLease(RUN, now(), 600)).resolves.toBeUndefined();
  });
});
