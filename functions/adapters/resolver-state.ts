import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError, LeaseHeldError } from '../commons/errors.js';
import type { ResolverNameHistory } from '../core/resolver-rules/index.js';

// The resolver reconciler's items in the state table, beside the route reconciler's (pk group#<name>):
// sk `resolver-state` holds its lease and the names' history (a lease distinct from the routes' one),
// sk `resolver-run#<execution>` one run's plan and outcomes. A run record is stored gzipped outside the
// execution's JSON: 200 tracked names make a plan far larger than Step Functions' 256 KiB payload.

const pk = (group: string) => `group#${group}`;
const STATE_KEY = 'resolver-state';
const runKey = (executionId: string) => `resolver-run#${executionId.split(':').pop()}`;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const EMPTY_HISTORY: ResolverNameHistory = { lastSeenAt: {}, lastKnownChains: {} };

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

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
  ) {}

  /** Takes (or renews) the resolver lease and returns the history read with it; LeaseHeldError when busy. */
  async acquireLease(owner: string, now: string, seconds: number): Promise<ResolverNameHistory> {
    try {
      const { Attributes } = await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: STATE_KEY },
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(leaseOwner) OR leaseExpiresAt < :now OR leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':expires': epochSeconds(now) + seconds,
            ':now': epochSeconds(now),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return historyOf(Attributes);
    } catch (err) {
      if (isConditionFailure(err))
        throw new LeaseHeldError(`another execution is changing the resolver rules of ${this.group}`);
      return classifyAwsError(err, `taking the resolver lease of group ${this.group}`);
    }
  }

  /** The history without the lease (a dry run). */
  async readHistory(): Promise<ResolverNameHistory> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: this.tableName, Key: { pk: pk(this.group), sk: STATE_KEY } }),
      );
      return Item ? historyOf(Item) : EMPTY_HISTORY;
    } catch (err) {
      return classifyAwsError(err, `reading the resolver history of group ${this.group}`);
    }
  }

  /** Stores the next history and gives the lease back in one conditional write. */
  async saveHistoryAndRelease(history: ResolverNameHistory, owner: string, now: string): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: STATE_KEY },
          UpdateExpression: 'SET history = :history, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':history': history, ':now': now, ':owner': owner },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new LeaseHeldError(`the resolver lease of ${this.group} expired before the history was saved`);
      classifyAwsError(err, `saving the resolver history of group ${this.group}`);
    }
  }

  /** Gives the lease back without touching the history; a lease already gone is fine. */
  async releaseLease(owner: string): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: STATE_KEY },
          UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) classifyAwsError(err, `releasing the resolver lease of group ${this.group}`);
    }
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
