import { gzipSync } from 'node:zlib';
import {
  AssociateResolverRuleCommand,
  CreateResolverRuleCommand,
  DeleteResolverRuleCommand,
  ListResolverRuleAssociationsCommand,
  ListResolverRulesCommand,
  ListTagsForResourceCommand,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyResolverActions, observeResolverRules } from '../../functions/adapters/resolver-rules.js';
import { creatorRequestId, type ResolverRuleAction, ruleName } from '../../functions/core/resolver-rules/index.js';
import { config } from '../core/resolver-rules-fixtures.js';

// The Resolver client pins an older @smithy/types than aws-sdk-client-mock (the same classes, other type
// copies), so its stub is used untyped; the commands themselves still come from the client package.
// biome-ignore lint/suspicious/noExplicitAny: see above
const resolver: any = mockClient(Route53ResolverClient as never);
const dynamo = mockClient(DynamoDBDocumentClient);
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
const named = (name: string) => Object.assign(new Error(name), { name });
const FAST = { concurrency: 2, backoffMs: 1 };

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
    targetIps: [{ ip: '10.0.0.2', port: 53 }],
    resolverEndpointId: 'rslvr-out-0123456789abcdef0',
    tags: [{ key: 'cgw-autopilot:managed', value: 'true' }],
  },
};
const associate: ResolverRuleAction = {
  kind: 'associate-rule',
  actionId: 'associate-1',
  domainName: 'db.vendor.example',
  ruleId: null,
  createActionId: 'create-1',
  vpcId: 'vpc-0a1b2c3d',
  before: null,
  after: { vpcId: 'vpc-0a1b2c3d' },
};

afterEach(() => {
  resolver.reset();
  dynamo.reset();
});

describe('applyResolverActions', () => {
  it('finds the rule a lost create already made through its CreatorRequestId, and associates it', async () => {
    // Prepare
    resolver.on(CreateResolverRuleCommand).rejects(named('ResourceExistsException'));
    resolver.on(ListResolverRulesCommand).resolves({ ResolverRules: [{ Id: 'rslvr-rr-existing' }] });
    resolver.on(AssociateResolverRuleCommand).resolves({ ResolverRuleAssociation: { Id: 'rslvr-rrassoc-1' } });

    // Act
    const outcomes = await applyResolverActions([create, associate], [], FAST);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(outcomes[0]?.ruleId).toBe('rslvr-rr-existing');
    expect(resolver.commandCalls(ListResolverRulesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'CreatorRequestId', Values: ['cgw-autopilot-abc'] },
    ]);
    expect(resolver.commandCalls(AssociateResolverRuleCommand)[0]?.args[0].input.ResolverRuleId).toBe(
      'rslvr-rr-existing',
    );
  });

  it('skips the associations of a rule whose create failed, and marks a throttled create retryable', async () => {
    // Prepare
    resolver.on(CreateResolverRuleCommand).rejects(throttled());

    // Act
    const outcomes = await applyResolverActions([create, associate], [], { ...FAST, tries: 2 });

    // Assess
    expect(outcomes).toMatchObject([
      { actionId: 'create-1', status: 'failed', retryable: true },
      { actionId: 'associate-1', status: 'skipped' },
    ]);
    expect(resolver.commandCalls(AssociateResolverRuleCommand)).toHaveLength(0);
  });

  it('stops writing once the lease is lost, failing every action left with LeaseLostError', async () => {
    // Prepare
    const { LeaseLostError } = await import('../../functions/commons/errors.js');
    const fence = async () => {
      throw new LeaseLostError('the lease of the resolver rules was taken by another execution');
    };

    // Act
    const outcomes = await applyResolverActions([create, associate], [], { ...FAST, fence });

    // Assess
    expect(outcomes.map((o) => [o.status, o.error?.split(':')[0], o.retryable])).toEqual([
      ['failed', 'LeaseLostError', false],
      ['failed', 'LeaseLostError', false],
    ]);
    expect(resolver.calls()).toHaveLength(0);
  });

  it('does not repeat actions an earlier attempt applied', async () => {
    // Prepare
    resolver.on(AssociateResolverRuleCommand).resolves({});

    // Act
    const outcomes = await applyResolverActions(
      [create, associate],
      [{ actionId: 'create-1', status: 'applied', ruleId: 'rslvr-rr-1' }],
      FAST,
    );

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(resolver.commandCalls(CreateResolverRuleCommand)).toHaveLength(0);
  });

  it('treats a delete refused while the disassociation finishes as retryable, not as a final failure', async () => {
    // Prepare
    resolver.on(DeleteResolverRuleCommand).rejects(named('ResourceInUseException'));
    const remove: ResolverRuleAction = {
      kind: 'delete-rule',
      actionId: 'delete-1',
      domainName: 'old.vendor.example',
      ruleId: 'rslvr-rr-old',
      reason: 'retired',
      before: { ruleArn: 'arn', name: null, domainName: 'old.vendor.example', targetIps: [], resolverEndpointId: null },
      after: null,
    };

    // Act
    const [outcome] = await applyResolverActions([remove], [], { ...FAST, tries: 2 });

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(resolver.commandCalls(DeleteResolverRuleCommand)).toHaveLength(2);
  });
});

describe('observeResolverRules', () => {
  it('reads tags only for rules that look like ours without being provably ours', async () => {
    // Prepare
    const cfg = config({ groupName: 'prod', vpcIds: ['vpc-0a1b2c3d'] });
    const domain = 'db.x.eu-west-2.rds.amazonaws.com';
    const targets = cfg.targetIps.map((t) => ({ Ip: t.ip, Port: t.port }));
    resolver.on(ListResolverRulesCommand).resolves({
      ResolverRules: [
        {
          Id: 'rslvr-rr-ours',
          Arn: 'arn:ours',
          Name: ruleName('prod', domain),
          CreatorRequestId: creatorRequestId('prod', domain, cfg.outboundEndpointId, cfg.targetIps),
          DomainName: `${domain}.`,
          RuleType: 'FORWARD',
          TargetIps: targets,
          ResolverEndpointId: cfg.outboundEndpointId,
          Status: 'COMPLETE',
        },
        {
          Id: 'rslvr-rr-updated',
          Arn: 'arn:updated',
          Name: ruleName('prod', 'a.example'),
          CreatorRequestId: 'cgw-autopilot-old',
          DomainName: 'a.example.',
          RuleType: 'FORWARD',
          Status: 'COMPLETE',
        },
        {
          Id: 'rslvr-rr-hand',
          Arn: 'arn:hand',
          Name: 'hand-made',
          CreatorRequestId: 'console',
          DomainName: `${domain}.`,
          RuleType: 'FORWARD',
          Status: 'COMPLETE',
        },
      ],
    });
    resolver.on(ListResolverRuleAssociationsCommand).resolves({
      ResolverRuleAssociations: [
        { Id: 'a-1', ResolverRuleId: 'rslvr-rr-hand', VPCId: 'vpc-0a1b2c3d', Status: 'COMPLETE' },
      ],
    });
    resolver.on(ListTagsForResourceCommand).resolves({
      Tags: [
        { Key: 'cgw-autopilot:managed', Value: 'true' },
        { Key: 'cgw-autopilot:group', Value: 'prod' },
      ],
    });

    // Act
    const observed = await observeResolverRules(cfg, new Route53ResolverClient({}));

    // Assess
    expect(
      resolver
        .commandCalls(ListTagsForResourceCommand)
        .map((c: { args: [{ input: { ResourceArn?: string } }] }) => c.args[0].input.ResourceArn),
    ).toEqual(['arn:updated']);
    expect(observed.observedRules.map((r) => [r.id, r.managed])).toEqual([
      ['rslvr-rr-ours', true],
      ['rslvr-rr-updated', true],
      ['rslvr-rr-hand', false],
    ]);
    expect(observed.unmanagedAssociations).toMatchObject([{ ruleId: 'rslvr-rr-hand', vpcId: 'vpc-0a1b2c3d' }]);
    expect(observed.calls).toBe(3);
  });

  it('turns a throttled listing into RetryableAwsError for the ASL Retry', async () => {
    // Prepare
    resolver.on(ListResolverRulesCommand).rejects(throttled());
    resolver.on(ListResolverRuleAssociationsCommand).resolves({});

    // Act
    const observing = observeResolverRules(config(), new Route53ResolverClient({}));

    // Assess
    await expect(observing).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });
});

describe('resolver handlers', () => {
  const ENV = {
    GROUP_NAME: 'prod',
    STATE_TABLE: 'state',
    RESOLVER_TRACKED_NAMES: 'db.vendor.example',
    RESOLVER_TARGET_IPS: '10.0.0.2',
    RESOLVER_OUTBOUND_ENDPOINT_ID: 'rslvr-out-0123456789abcdef0',
    RESOLVER_VPC_IDS: 'vpc-0a1b2c3d',
  };
  beforeAll(() => {
    Object.assign(process.env, ENV);
  });

  it('apply stores every outcome, then throws RetryableAwsError while throttled actions remain', async () => {
    // Prepare
    const { handler } = await import('../../functions/resolver-apply/index.js');
    const plan = gzipSync(JSON.stringify({ actions: [create, associate] })).toString('base64');
    dynamo.on(GetCommand).resolves({ Item: { plan } });
    dynamo.on(UpdateCommand).resolves({});
    resolver.on(CreateResolverRuleCommand).rejects(throttled());

    // Act
    const applying = handler({ executionId: 'arn:aws:states:eu-west-2:1:execution:m:run-1' });

    // Assess
    await expect(applying).rejects.toMatchObject({ name: 'RetryableAwsError' });
    const updates = dynamo.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    // The fencing check before the create, then the outcomes.
    expect(updates[0]).toMatchObject({ Key: { pk: 'group#prod', sk: 'resolver-state' } });
    const stored = updates.find((u) => u.ExpressionAttributeNames?.['#part']);
    expect(stored?.Key).toEqual({ pk: 'group#prod', sk: 'resolver-run#run-1' });
    expect(stored?.ExpressionAttributeNames).toEqual({ '#part': 'outcomes' });
  }, 20_000);

  it('intake rejects a route operation, naming the field', async () => {
    // Prepare
    const { handler } = await import('../../functions/resolver-intake/index.js');

    // Act
    const intake = handler({ input: { operation: 'failover' } });

    // Assess
    await expect(intake).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('operation'),
    });
  });

  it('intake ignores an agent report with every tunnel down: the vendor DNS is out of reach', async () => {
    // Prepare
    const { handler } = await import('../../functions/resolver-intake/index.js');
    const { default: sample } = await import('../../events/agent-tunnels-down.json', { with: { type: 'json' } });

    // Act
    const result = await handler({ input: { ...sample, detail: { ...sample.detail, group: 'prod' } } });

    // Assess
    expect(result.ignored).toContain('no tunnel is up');
  });
});
