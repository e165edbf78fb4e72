import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError, LeaseHeldError, LeaseLostError } from '../commons/errors.js';

/** The partition of a gateway group in the state table. */
export const groupKey = (group: string) => `group#${group}`;
export const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/**
 * One writer per group (DESIGN.md promise 7): a lease on one item of the state table, taken with a
 * conditional write that also returns the item, and given back in the same write that stores what
 * the run decided. `what` names the lease in errors ("group vendor-vpn", "resolver rules of ...").
 */
export class ItemLease {
  constructor(
    private readonly tableName: string,
    private readonly group: string,
    private readonly sortKey: string,
    private readonly what: string,
  ) {}

  private get key() {
    return { pk: groupKey(this.group), sk: this.sortKey };
  }

  /** Takes (or renews) the lease until now + seconds; the item as it is then; LeaseHeldError when another live owner holds it. */
  async acquire(owner: string, now: string, seconds: number): Promise<Record<string, unknown> | undefined> {
    try {
      const { Attributes } = await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
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
      return Attributes;
    } catch (err) {
      if (isConditionFailure(err)) throw new LeaseHeldError(`another execution is changing the ${this.what}`);
      return classifyAwsError(err, `taking the lease of the ${this.what}`);
    }
  }

  /**
   * The fencing check before a write: confirms `owner` still holds the lease and extends it to
   * now + seconds, in one conditional write; LeaseLostError when another owner took it or it was
   * given back. A lease past its expiry that nobody took is still this owner's: only a conditional
   * write that changes the owner lets another run in, so nobody else has written since. `seconds`
   * must outlast the write that follows (the function's timeout bounds it).
   */
  async hold(owner: string, now: string, seconds: number): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET leaseExpiresAt = :expires',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':expires': epochSeconds(now) + seconds },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new LeaseLostError(`the lease of the ${this.what} was taken by another execution: not writing`);
      classifyAwsError(err, `confirming the lease of the ${this.what}`);
    }
  }

  /** The item without taking the lease (a dry run). */
  async read(): Promise<Record<string, unknown> | undefined> {
    try {
      return (await documentClient().send(new GetCommand({ TableName: this.tableName, Key: this.key }))).Item;
    } catch (err) {
      return classifyAwsError(err, `reading the ${this.what}`);
    }
  }

  /** Sets `fields` (plain attribute names) and updatedAt, and gives the lease back, in one write conditional on still holding it. */
  async saveAndRelease(owner: string, now: string, fields: Record<string, unknown>): Promise<void> {
    const names = Object.keys(fields);
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
            ':now': now,
            ':owner': owner,
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new LeaseHeldError(`the lease of the ${this.what} expired before the run was saved`);
      classifyAwsError(err, `saving the ${this.what}`);
    }
  }

  /** Gives the lease back without changing the item (failure path); a lease already gone is fine. */
  async release(owner: string): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) classifyAwsError(err, `releasing the lease of the ${this.what}`);
    }
  }
}
