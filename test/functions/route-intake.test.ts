import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../sim/drill/topology.js';
import { type SimAccount, startSim } from '../../sim/index.js';

const root = resolve(import.meta.dirname, '../..');
/** A sample from events/, fresh for each use. */
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));
const GROUP = 'vendor-vpn';

// The route-intake handler in-process against the simulated account (its SDK clients follow
// AWS_ENDPOINT_URL, as in the simulated Lambda): EC2 answers the membership check and DynamoDB the
// replay and report records, as AWS does.
describe('route-intake handler on the simulated account', () => {
  let sim: SimAccount;
  let topology: Topology;
  let dynamo: DynamoDBClient;
  let handler: typeof import('../../functions/route-intake/index.js').handler;

  beforeAll(async () => {
    sim = await startSim();
    topology = new Topology(sim);
    await topology.build({
      vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
      instances: [
        { name: 'cgw-a', subnet: 'app.gw', tags: { 'cgw-autopilot:group': GROUP } },
        { name: 'web-1', subnet: 'app.gw' },
      ],
    });
    dynamo = new DynamoDBClient({ endpoint: sim.endpoint, region: 'eu-west-2' });
    // The state table as template.yaml declares it.
    await dynamo.send(
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
      GROUP_NAME: GROUP,
      STATE_TABLE: 'state',
      MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a',
      MANAGED_CIDRS: '10.200.0.0/16',
    });
    ({ handler } = await import('../../functions/route-intake/index.js'));
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL;
    await sim.stop();
  });

  const item = async (sk: string) =>
    (await dynamo.send(new GetItemCommand({ TableName: 'state', Key: { pk: { S: `group#${GROUP}` }, sk: { S: sk } } })))
      .Item;

  /** An instance-state event for one of the topology's instances, with an id of its own. */
  const stateEvent = (instance: string, id: string) => {
    const event = sample('ec2-instance-terminated.json');
    event.id = id;
    (event.detail as Record<string, unknown>)['instance-id'] = topology.ref('instance', instance);
    return event;
  };

  /** The agent's report sample for cgw-a, sent now, with an id of its own. */
  const agentReport = (id: string, detail: Record<string, unknown> = {}) => {
    const event = sample('agent-tunnels-up.json');
    event.id = id;
    Object.assign(event.detail as Record<string, unknown>, {
      group: GROUP,
      instanceId: topology.ref('instance', 'cgw-a'),
      reportedAt: new Date().toISOString(),
      ...detail,
    });
    return event;
  };

  it('ignores an instance-state event for an instance without the group tag', async () => {
    // Prepare
    const since = sim.log.mark();

    // Act
    const intake = await handler({ input: stateEvent('web-1', 'event-web-1') });

    // Assess
    expect(intake.ignored).toBe(`${topology.ref('instance', 'web-1')} is not a member of group ${GROUP}`);
    const ec2Calls = sim.log.all({ since, service: 'ec2' });
    expect(ec2Calls.map((r) => r.action)).toEqual(['DescribeInstances']);
    expect(JSON.stringify(ec2Calls[0]?.params)).toContain(topology.ref('instance', 'web-1'));
  });

  it('passes an instance-state event of a member, and ignores the same event delivered again', async () => {
    // Prepare
    const event = stateEvent('cgw-a', 'event-cgw-a');

    // Act
    const first = await handler({ input: event });
    const since = sim.log.mark();
    const again = await handler({ input: event });

    // Assess
    expect(first.ignored).toBeNull();
    expect(again.ignored).toBe('event event-cgw-a was already handled');
    expect(await item('event#event-cgw-a')).toBeDefined();
    // The membership check runs side by side with the replay record; it only reads.
    expect(sim.log.all({ since, service: 'ec2' }).map((r) => r.action)).toEqual(['DescribeInstances']);
  });

  it('records the agent report of its own group with the time it was received', async () => {
    // Prepare
    const before = new Date().toISOString();

    // Act
    const intake = await handler({ input: agentReport('report-1', { sequence: 1 }) });

    // Assess
    expect(intake.ignored).toBeNull();
    const recorded = await item(`agent#${topology.ref('instance', 'cgw-a')}`);
    expect(recorded).toMatchObject({
      sequence: { N: '1' },
      bootId: { S: '6f1c1e2a-0b7d-4e55-9d0a-8f1a1b2c3d4e' },
    });
    expect(recorded?.receivedAt?.S && recorded.receivedAt.S >= before).toBe(true);
  });

  it('ignores a report whose sequence number is not after the recorded one, naming the field, and keeps the record', async () => {
    // Prepare
    await handler({ input: agentReport('report-7', { sequence: 7 }) });
    const recorded = await item(`agent#${topology.ref('instance', 'cgw-a')}`);

    // Act
    const intake = await handler({ input: agentReport('report-7-again', { sequence: 7 }) });

    // Assess
    expect(intake.ignored).toMatch(
      /^detail\.sequence: report 7 of i-[0-9a-f]+ .* is a duplicate of the recorded report 7$/,
    );
    expect(await item(`agent#${topology.ref('instance', 'cgw-a')}`)).toEqual(recorded);
    expect(await item('event#report-7-again')).toBeDefined();
  });
});
