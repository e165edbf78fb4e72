import { CreateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { physicalName, type ResourceDeployment } from '../stack.js';

/** AWS::DynamoDB::Table, with its time-to-live setting. */
export async function deployTable({
  logicalId,
  scope,
  clients,
  properties,
  record,
}: ResourceDeployment): Promise<void> {
  const p = properties();
  const tableName = (p.TableName as string | undefined) ?? physicalName(scope.stackName, logicalId);
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: p.AttributeDefinitions as never,
      KeySchema: p.KeySchema as never,
      BillingMode: (p.BillingMode as 'PAY_PER_REQUEST' | undefined) ?? 'PROVISIONED',
      ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput as never } : {}),
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never } : {}),
    }),
  );
  const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    // dynalite records TTL settings but, like DynamoDB's best-effort sweeper, does not promise deletion times.
    await clients.dynamodb
      .send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      )
      .catch(() => undefined);
  }
  record(tableName, { Arn: `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${tableName}` });
}
