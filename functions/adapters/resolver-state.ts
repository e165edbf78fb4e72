import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import type { ResolverNameHistory, StoredResolverNames } from '../core/resolver-rules/index.js';
import { epochSeconds, groupKey, ItemLease } from './lease.js';

// The resolver reconciler's items in the state table, beside the route reconciler's (pk group#<name>):
// sk `resolver-state` holds its lease and the names' history (a lease distinct from the routes' one),
// sk `resolver-run#<execution>` one run's plan and outcomes. A run record is stored gzipped outside the
// execution's JSON: 200 tracked names make a plan far larger than Step Functions' 256 KiB payload.

const pk = groupKey;
const STATE_KEY = 'resolver-state';
/** Names and domains beyond the template's parameters (core/resolver-rules/config.ts, STORED_NAMES_SOURCE). */
export const STORED_NAMES_KEY = 'resolver-config';
const runKey = (executionId: string) => `resolver-run#${executionId.split(':').pop()}`;
const EMPTY_HISTORY: ResolverNameHistory = { lastSeenAt: {}, lastKnownChains: {} };

function pack(value: unknown): string {
  return gzipSync(JSON.stringify(value)).toString('base64');
}

function unpack<T>(text: unknown): T | undefined {
  return typeof text === 'string'
    ? (JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as T)
    : undefined;
}

function historyOf(item: Record<string, unknown> | undefined): ResolverNameHistory {
  const history = item?.history as ResolverNameHistory | undefined;
  return { lastSeenAt: history?.lastSeenAt ?? {}, lastKnownChains: history?.lastKnownChains ?? {} };
}

export class ResolverStateStore {
  constructor(
    readonly tableName: string,
    readonly group: string,
  ) {
    this.lease = new ItemLease(tableName, group, STATE_KEY, `resolver rules of group ${group}`);
  }

  private readonly lease: ItemLease;

  /** Takes (or renews) the resolver lease and returns the history read with it; LeaseHeldError when busy. */
  async acquireLease(owner: string, now: string, seconds: number): Promise<ResolverNameHistory> {
    return historyOf(await this.lease.acquire(owner, now, seconds));
  }

  /** Fencing before a write: LeaseLostError unless `owner` still holds the resolver lease, which then runs until now + seconds. */
  async holdLease(owner: string, now: string, seconds: number): Promise<void> {
    await this.lease.hold(owner, now, seconds);
  }

  /** The history without the lease (a dry run). */
  async readHistory(): Promise<ResolverNameHistory> {
    const item = await this.lease.read();
    return item ? historyOf(item) : EMPTY_HISTORY;
  }

  /** Stores the next history and gives the lease back in one conditional write. */
  async saveHistoryAndRelease(history: ResolverNameHistory, owner: string, now: string): Promise<void> {
    await this.lease.saveAndRelease(owner, now, { history });
  }

  /** Gives the lease back without touching the history; a lease already gone is fine. */
  async releaseLease(owner: string): Promise<void> {
    await this.lease.release(owner);
  }

  /** The names and domains stored for the group, as written (validated by the core); none when absent. */
  async readStoredNames(): Promise<StoredResolverNames | undefined> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: STORED_NAMES_KEY },
          ConsistentRead: true,
        }),
      );
      return Item ? { trackedNames: Item.trackedNames, staticDomains: Item.staticDomains } : undefined;
    } catch (err) {
      return classifyAwsError(err, 'reading the stored resolver names');
    }
  }

  /** Replaces the stored names and domains (already validated by the caller). */
  async writeStoredNames(names: { trackedNames: string[]; staticDomains: string[] }, now: string): Promise<void> {
    await documentClient().send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(this.group), sk: STORED_NAMES_KEY, ...names, updatedAt: now },
      }),
    );
  }

  /** Stores one part (`plan`, `outcomes`) of a run's record; kept `keepSeconds` for the audit. */
  async putRunPart(executionId: string, part: 'plan' | 'outcomes', value: unknown, now: string, keepSeconds: number) {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: runKey(executionId) },
          UpdateExpression: 'SET #part = :value, updatedAt = :now, expiresAt = :expires',
          ExpressionAttributeNames: { '#part': part },
          ExpressionAttributeValues: {
            ':value': pack(value),
            ':now': now,
            ':expires': epochSeconds(now) + keepSeconds,
          },
        }),
      );
    } catch (err) {
      classifyAwsError(err, `storing the ${part} of run ${executionId}`);
    }
  }

  async getRun<P, O>(executionId: string): Promise<{ plan?: P; outcomes?: O }> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: this.tableName, Key: { pk: pk(this.group), sk: runKey(executionId) } }),
      );
      const plan = unpack<P>(Item?.plan);
      const outcomes = unpack<O>(Item?.outcomes);
      return { ...(plan === undefined ? {} : { plan }), ...(outcomes === undefined ? {} : { outcomes }) };
    } catch (err) {
      return classifyAwsError(err, `reading run ${executionId}`);
    }
  }
}
