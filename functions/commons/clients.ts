import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from './powertools.js';

// Created once per cold start. The SDK's standard retry strategy (3 attempts, backoff with jitter)
// absorbs short throttling bursts; what still fails surfaces as a named error for the ASL's Retry.
// Each client is created on first use so a bundle only pays for the clients it touches, and each is
// captured by Tracer, so every AWS call is a subsegment of the invocation's trace.
let ec2: EC2Client | undefined;
let resolver: Route53ResolverClient | undefined;
let documents: DynamoDBDocumentClient | undefined;
let sns: SNSClient | undefined;
let events: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export const ec2Client = () => (ec2 ??= traced(new EC2Client({ maxAttempts: 4 })));
export const resolverClient = () => (resolver ??= traced(new Route53ResolverClient({ maxAttempts: 4 })));
export const documentClient = () =>
  (documents ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient({ maxAttempts: 4 })), {
    marshallOptions: { removeUndefinedValues: true },
  }));
export const snsClient = () => (sns ??= traced(new SNSClient({ maxAttempts: 4 })));
export const eventsClient = () => (events ??= traced(new EventBridgeClient({ maxAttempts: 4 })));
export const sfnClient = () => (sfn ??= traced(new SFNClient({ maxAttempts: 4 })));
