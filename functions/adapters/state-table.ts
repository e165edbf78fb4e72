import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import type { AgentReport, GroupRecord } from '../core/routes/types.js';
import { epochSeconds, groupKey, ItemLease, isConditionFailure } from './lease.js';

// One table, keyed pk = group#<name>: sk `state` holds the group record and its lease,
// `agent#<instance>` the agent's latest report, `event#<id>` a processed event; the resolver
// reconciler's items are in resolver-state.ts. Items that may go stale carry expiresAt (epoch seconds, TTL).

const pk = groupKey;

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

  private lease(group: string): ItemLease {
    return new ItemLease(this.tableName, group, 'state', `group ${group}`);
  }

  /**
   * Takes (or renews) the group's lease for `owner` until now + seconds and returns the group record
   * read atomically with it; LeaseHeldError when another live execution holds it.
   */
  async acquireLease(group: string, owner: string, now: string, seconds: number): Promise<StoredGroupRecord> {
    return toRecord(group, await this.lease(group).acquire(owner, now, seconds));
  }

  /** Fencing before a write: LeaseLostError unless `owner` still holds the group's lease, which then runs until now + seconds. */
  async holdLease(group: string, owner: string, now: string, seconds: number): Promise<void> {
    await this.lease(group).hold(owner, now, seconds);
  }

  async readGroupRecord(group: string): Promise<StoredGroupRecord> {
    return toRecord(group, await this.lease(group).read());
  }

  /** Stores the next group record and gives the lease back, in one conditional write. */
  async saveRecordAndRelease(record: GroupRecord, owner: string, now: string): Promise<void> {
    await this.lease(record.group).saveAndRelease(owner, now, {
      activeInstanceId: record.activeInstanceId,
      lastSwitchAt: record.lastSwitchAt,
      preferredHealthySince: record.preferredHealthySince,
      pendingSoftFailure: record.pendingSoftFailure,
    });
  }

  /** Gives the lease back without changing the record (failure path); a lease already gone is fine. */
  async releaseLease(group: string, owner: string): Promise<void> {
    await this.lease(group).release(owner);
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
}
