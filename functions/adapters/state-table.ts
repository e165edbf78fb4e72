import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError, LeaseHeldError } from '../commons/errors.js';
import type { AgentReport, GroupRecord } from '../core/routes/types.js';

// One table, keyed pk = group#<name>: sk `state` holds the group record and its lease,
// `agent#<instance>` the agent's latest report, `event#<id>` a processed event, `names` the
// resolver reconciler's history. Items that may go stale carry expiresAt (epoch seconds, TTL).

const pk = (group: string) => `group#${group}`;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** The group record as stored, with when it was last written. */
export interface StoredGroupRecord extends GroupRecord {
  updatedAt: string | null;
}

function toRecord(group: string, item: Record<string, unknown> | undefined): StoredGroupRecord {
  return {
    group,
    activeInstanceId: (item?.activeInstanceId as string | undefined) ?? null,
    lastSwitchAt: (item?.lastSwitchAt as string | undefined) ?? null,
    preferredHealthySince: (item?.preferredHealthySince as GroupRecord['preferredHealthySince'] | undefined) ?? null,
    pendingSoftFailure: (item?.pendingSoftFailure as GroupRecord['pendingSoftFailure'] | undefined) ?? null,
    updatedAt: (item?.updatedAt as string | undefined) ?? null,
  };
}

export class StateTable {
  constructor(readonly tableName: string) {}

  /**
   * Takes (or renews) the group's lease for `owner` until now + seconds and returns the group record
   * read atomically with it; LeaseHeldError when another live execution holds it.
   */
  async acquireLease(group: string, owner: string, now: string, seconds: number): Promise<StoredGroupRecord> {
    try {
      const { Attributes } = await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(group), sk: 'state' },
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
      return toRecord(group, Attributes);
    } catch (err) {
      if (isConditionFailure(err)) throw new LeaseHeldError(`another execution is changing group ${group}`);
      return classifyAwsError(err, `taking the lease of group ${group}`);
    }
  }

  async readGroupRecord(group: string): Promise<StoredGroupRecord> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: this.tableName, Key: { pk: pk(group), sk: 'state' } }),
      );
      return toRecord(group, Item);
    } catch (err) {
      return classifyAwsError(err, `reading the record of group ${group}`);
    }
  }

  /** Stores the next group record and gives the lease back, in one conditional write. */
  async saveRecordAndRelease(record: GroupRecord, owner: string, now: string): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(record.group), sk: 'state' },
          UpdateExpression:
            'SET activeInstanceId = :active, lastSwitchAt = :lastSwitch, preferredHealthySince = :preferred, pendingSoftFailure = :pending, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':active': record.activeInstanceId,
            ':lastSwitch': record.lastSwitchAt,
            ':preferred': record.preferredHealthySince,
            ':pending': record.pendingSoftFailure,
            ':now': now,
            ':owner': owner,
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new LeaseHeldError(`the lease of group ${record.group} expired before the record was saved`);
      classifyAwsError(err, `saving the record of group ${record.group}`);
    }
  }

  /** Gives the lease back without changing the record (failure path); a lease already gone is fine. */
  async releaseLease(group: string, owner: string): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(group), sk: 'state' },
          UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) classifyAwsError(err, `releasing the lease of group ${group}`);
    }
  }

  async putAgentReport(group: string, report: AgentReport, keepSeconds: number): Promise<void> {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: pk(group),
            sk: `agent#${report.instanceId}`,
            ...report,
            expiresAt: epochSeconds(report.reportedAt) + keepSeconds,
          },
          // A late report never overwrites a newer one.
          ConditionExpression: 'attribute_not_exists(reportedAt) OR reportedAt <= :at',
          ExpressionAttributeValues: { ':at': report.reportedAt },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) classifyAwsError(err, `recording the agent report of ${report.instanceId}`);
    }
  }

  async readAgentReports(group: string): Promise<AgentReport[]> {
    const reports: AgentReport[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await documentClient().send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :agent)',
            ExpressionAttributeValues: { ':pk': pk(group), ':agent': 'agent#' },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          reports.push({
            instanceId: item.instanceId as string,
            tunnels: item.tunnels as AgentReport['tunnels'],
            bgp: item.bgp as AgentReport['bgp'],
            reportedAt: item.reportedAt as string,
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return reports;
    } catch (err) {
      return classifyAwsError(err, `reading the agent reports of group ${group}`);
    }
  }

  /** Records an event id; false when it was already recorded (a duplicate or replayed event). */
  async recordEventOnce(group: string, eventId: string, now: string, keepSeconds: number): Promise<boolean> {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(group), sk: `event#${eventId}`, seenAt: now, expiresAt: epochSeconds(now) + keepSeconds },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      return classifyAwsError(err, `recording event ${eventId}`);
    }
  }

  /** A JSON document stored under the group (the resolver reconciler's name history). */
  async readDocument<T>(group: string, key: string): Promise<T | undefined> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: this.tableName, Key: { pk: pk(group), sk: key } }),
      );
      return Item?.document as T | undefined;
    } catch (err) {
      return classifyAwsError(err, `reading ${key} of group ${group}`);
    }
  }

  async writeDocument(group: string, key: string, document: unknown, now: string): Promise<void> {
    try {
      await documentClient().send(
        new PutCommand({ TableName: this.tableName, Item: { pk: pk(group), sk: key, document, updatedAt: now } }),
      );
    } catch (err) {
      classifyAwsError(err, `writing ${key} of group ${group}`);
    }
  }
}
