import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import {
  type AgentReportJudgement,
  type IncomingAgentReport,
  judgeAgentReport,
  type StoredAgentReport,
} from '../core/routes/agent-report.js';
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
    ...(item?.primaryPath ? { primaryPath: item.primaryPath as GroupRecord['primaryPath'] } : {}),
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
      primaryPath: record.primaryPath ?? null,
    });
  }

  /** Gives the lease back without changing the record (failure path); a lease already gone is fine. */
  async releaseLease(group: string, owner: string): Promise<void> {
    await this.lease(group).release(owner);
  }

  private async readStoredAgentReport(group: string, instanceId: string): Promise<StoredAgentReport | null> {
    try {
      const { Item } = await documentClient().send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: pk(group), sk: `agent#${instanceId}` },
          ConsistentRead: true,
        }),
      );
      // An item written before reports carried a boot and a sequence number orders before any report.
      if (Item === undefined || typeof Item.bootId !== 'string' || typeof Item.sequence !== 'number') return null;
      return {
        instanceId: Item.instanceId as string,
        tunnels: Item.tunnels as StoredAgentReport['tunnels'],
        bgp: Item.bgp as StoredAgentReport['bgp'],
        reportedAt: Item.reportedAt as string,
        bootId: Item.bootId,
        sequence: Item.sequence,
        receivedAt: Item.receivedAt as string,
        retiredBoots: (Item.retiredBoots as string[] | undefined) ?? [],
      };
    } catch (err) {
      return classifyAwsError(err, `reading the agent report of ${instanceId}`);
    }
  }

  /**
   * Records an agent report unless it is late, duplicated or stale (`judgeAgentReport`): read, judge,
   * then a write conditional on the item being still what was read, so two intakes racing for the
   * same gateway cannot let the older report win. Returns the judgement; InvalidInputError for a
   * report whose time cannot be trusted.
   */
  async recordAgentReport(
    group: string,
    report: IncomingAgentReport,
    receivedAt: string,
    staleAfterSeconds: number,
    keepSeconds: number,
  ): Promise<AgentReportJudgement & { previous: StoredAgentReport | null }> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.readStoredAgentReport(group, report.instanceId);
      const judged = judgeAgentReport(report, stored, receivedAt, staleAfterSeconds);
      // The report it was judged against goes with the verdict: what the new one changes is told from it.
      const judgement = { ...judged, previous: stored };
      if (!judgement.accept) return judgement;
      const { record } = judgement;
      try {
        await documentClient().send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: pk(group),
              sk: `agent#${report.instanceId}`,
              ...record,
              expiresAt: epochSeconds(receivedAt) + keepSeconds,
            },
            ...(stored === null
              ? { ConditionExpression: 'attribute_not_exists(sk) OR attribute_not_exists(bootId)' }
              : {
                  ConditionExpression: 'bootId = :boot AND #sequence = :sequence',
                  ExpressionAttributeNames: { '#sequence': 'sequence' },
                  ExpressionAttributeValues: { ':boot': stored.bootId, ':sequence': stored.sequence },
                }),
          }),
        );
        return judgement;
      } catch (err) {
        // Another intake recorded a report of this gateway in between: judge again against it.
        if (isConditionFailure(err) && attempt < 5) continue;
        return classifyAwsError(err, `recording the agent report of ${report.instanceId}`);
      }
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
          // Without the time it was received a report cannot be judged fresh: it counts as missing.
          if (typeof item.receivedAt !== 'string') continue;
          reports.push({
            instanceId: item.instanceId as string,
            tunnels: item.tunnels as AgentReport['tunnels'],
            bgp: item.bgp as AgentReport['bgp'],
            reportedAt: item.reportedAt as string,
            receivedAt: item.receivedAt as string,
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
