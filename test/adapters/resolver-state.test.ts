import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_CHARS, ResolverStateStore, splitPacked } from '../../functions/adapters/resolver-state.js';
import { type SimAccount, startSim } from '../../sim/index.js';

const NOW = '2026-03-01T12:00:00.000Z';

// The run record in the simulated DynamoDB, which refuses an item above 400 KB as DynamoDB does.
describe('ResolverStateStore run records', () => {
  let sim: SimAccount;
  let store: ResolverStateStore;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    sim = await startSim();
    // The adapter's client is made from the environment on first use, as in Lambda.
    for (const [key, value] of Object.entries(sim.env())) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    const dynamo = new DynamoDBClient({});
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'state',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    dynamo.destroy();
    store = new ResolverStateStore('state', 'prod');
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await sim.stop();
  });

  it('stores and reads back a plan larger than one DynamoDB item, gzipped (1,000 names make one)', async () => {
    // Prepare: 900 KB that gzip cannot shrink, about 1.2 MB once packed: more than 3 items
    const plan = { actions: Array.from({ length: 900 }, (_, i) => ({ i, noise: randomBytes(1000).toString('hex') })) };

    // Act
    await store.putRunPart('arn:aws:states:eu-west-2:1:execution:m:big-run', 'plan', plan, NOW, 3600);
    await store.putRunPart(
      'arn:aws:states:eu-west-2:1:execution:m:big-run',
      'outcomes',
      [{ actionId: 'a' }],
      NOW,
      3600,
    );
    const read = await store.getRun<typeof plan, { actionId: string }[]>(
      'arn:aws:states:eu-west-2:1:execution:m:big-run',
    );

    // Assess
    expect(read.plan).toEqual(plan);
    expect(read.outcomes).toEqual([{ actionId: 'a' }]);
  }, 60_000);

  it('keeps a small part in the run item alone, as before', async () => {
    // Act
    const since = sim.log.mark();
    await store.putRunPart('run-small', 'plan', { actions: [] }, NOW, 3600);

    // Assess
    expect(await store.getRun('run-small')).toEqual({ plan: { actions: [] } });
    expect(sim.log.all({ since, service: 'dynamodb' }).map((r) => r.action)).toEqual(['UpdateItem', 'GetItem']);
  });

  it('stores the names history of 2,000 names of depth 3 beside the lease, and reads one stored as a map', async () => {
    // Prepare: 8,000 domains seen and 2,000 chains, more than 400 KB as a DynamoDB map
    const history = {
      lastSeenAt: Object.fromEntries(
        Array.from({ length: 8000 }, (_, i) => [`h${i % 4}-${i}.vendor-hosts.example`, '2026-03-01T12:00:00.000Z']),
      ),
      lastKnownChains: Object.fromEntries(
        Array.from({ length: 2000 }, (_, i) => [
          `db${i}.vendor-db.example`,
          [1, 2, 3].map((link) => `h${link}-${i}.vendor-hosts.example`),
        ]),
      ),
    };
    const large = new ResolverStateStore('state', 'large');
    await large.acquireLease('run-1', NOW, 60);

    // Act
    await large.saveHistoryAndRelease(history, 'run-1', NOW);
    const read = await large.acquireLease('run-2', NOW, 60);

    // Assess
    expect(read).toEqual(history);

    // Prepare: an item an earlier version wrote, the history as a map
    const earlier = { lastSeenAt: { 'db.vendor.example': NOW }, lastKnownChains: { 'db.vendor.example': [] } };
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    await dynamo.send(
      new PutCommand({ TableName: 'state', Item: { pk: 'group#old', sk: 'resolver-state', history: earlier } }),
    );
    dynamo.destroy();

    // Act + Assess
    expect(await new ResolverStateStore('state', 'old').readHistory()).toEqual(earlier);
  }, 60_000);

  it('splits packed text into marked pieces of at most CHUNK_CHARS, and leaves short text whole', () => {
    expect(splitPacked('abc')).toEqual(['abc']);
    expect(splitPacked('')).toEqual(['']);
    const pieces = splitPacked('x'.repeat(CHUNK_CHARS * 2 + 1));
    expect(pieces.map((p) => p.length)).toEqual([CHUNK_CHARS + 'chunks:3:'.length, CHUNK_CHARS, 1]);
    expect(pieces[0]?.startsWith('chunks:3:')).toBe(true);
  });
});
