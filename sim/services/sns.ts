import { randomUUID } from 'node:crypto';
import { AwsError } from '../core/errors.js';
import type { AwsQueryService, RequestContext } from '../core/service.js';

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  at: string;
}

const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];
const TOPIC_ARN = /^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/**
 * SNS topics, subscriptions and Publish: messages are recorded so tests and drills can assert on
 * notifications; subscriptions are recorded and never delivered to (known difference).
 */
export class SnsService implements AwsQueryService {
  readonly name = 'sns';
  readonly protocol = 'query';
  readonly xmlNamespace = 'http://sns.amazonaws.com/doc/2010-03-31/';
  readonly throttleError = { code: 'Throttled', status: 400 };
  published: PublishedMessage[] = [];
  /** Topics created with CreateTopic; Publish to any other well-formed ARN fails as AWS does. */
  topics = new Set<string>();

  readonly actions = {
    CreateTopic: (params: { Name?: string }, ctx: RequestContext) => {
      if (!params.Name || !/^[A-Za-z0-9_-]{1,256}$/.test(params.Name)) {
        throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
      }
      const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:${params.Name}`;
      this.topics.add(arn);
      return { TopicArn: arn };
    },
    ListTopics: () => ({ Topics: [...this.topics].sort().map((TopicArn) => ({ TopicArn })) }),
    GetTopicAttributes: (params: { TopicArn?: string }, ctx: RequestContext) => {
      const topicArn = this.topic(params.TopicArn);
      const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === topicArn);
      return {
        Attributes: new Map([
          ['TopicArn', topicArn],
          ['Owner', ctx.accountId],
          ['DisplayName', ''],
          ['SubscriptionsConfirmed', String(subs.filter((s) => s.confirmed).length)],
          ['SubscriptionsPending', String(subs.filter((s) => !s.confirmed).length)],
          ['SubscriptionsDeleted', '0'],
        ]),
      };
    },
    Subscribe: (params: { TopicArn?: string; Protocol?: string; Endpoint?: string }) => {
      const topicArn = this.topic(params.TopicArn);
      const protocol = params.Protocol ?? '';
      if (!PROTOCOLS.includes(protocol)) throw new AwsError('InvalidParameter', 'Invalid parameter: Protocol');
      if (!params.Endpoint) throw new AwsError('InvalidParameter', 'Invalid parameter: Endpoint');
      const arn = `${topicArn}:${randomUUID()}`;
      // Email and HTTP(S) endpoints must confirm first: AWS answers "pending confirmation" for them.
      const confirmed = !['email', 'email-json', 'http', 'https'].includes(protocol);
      this.subscriptions.set(arn, { topicArn, protocol, endpoint: params.Endpoint, confirmed });
      return { SubscriptionArn: confirmed ? arn : 'pending confirmation' };
    },
    ListSubscriptionsByTopic: (params: { TopicArn?: string }, ctx: RequestContext) => {
      const topicArn = this.topic(params.TopicArn);
      return {
        Subscriptions: [...this.subscriptions]
          .filter(([, s]) => s.topicArn === topicArn)
          .map(([arn, s]) => ({
            SubscriptionArn: s.confirmed ? arn : 'PendingConfirmation',
            Owner: ctx.accountId,
            Protocol: s.protocol,
            Endpoint: s.endpoint,
            TopicArn: topicArn,
          })),
      };
    },
    Unsubscribe: (params: { SubscriptionArn?: string }) => {
      if (!params.SubscriptionArn || !this.subscriptions.delete(params.SubscriptionArn))
        throw new AwsError('NotFound', 'Subscription does not exist', 404);
      return {};
    },
    Publish: (
      params: {
        TopicArn?: string;
        TargetArn?: string;
        Message?: string;
        Subject?: string;
        MessageAttributes?: { entry?: { Name: string; Value: { StringValue?: string } }[] };
      },
      ctx: RequestContext,
    ) => {
      const topicArn = params.TopicArn ?? params.TargetArn;
      if (!topicArn)
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
        );
      if (!TOPIC_ARN.test(topicArn)) throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
      if (!this.topics.has(topicArn)) throw new AwsError('NotFound', 'Topic does not exist', 404);
      if (params.Message === undefined || params.Message === '') {
        throw new AwsError('InvalidParameter', 'Invalid parameter: Message Reason: Empty message');
      }
      if (Buffer.byteLength(params.Message) > 256 * 1024) {
        throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
      }
      const messageId = randomUUID();
      const attributes: Record<string, string> = {};
      for (const entry of params.MessageAttributes?.entry ?? []) attributes[entry.Name] = entry.Value.StringValue ?? '';
      this.published.push({
        messageId,
        topicArn,
        ...(params.Subject ? { subject: params.Subject } : {}),
        message: params.Message,
        attributes,
        at: ctx.clock.iso(),
      });
      return { MessageId: messageId };
    },
  };

  /** Subscriptions by ARN; recorded, never delivered to (known difference). */
  subscriptions = new Map<string, { topicArn: string; protocol: string; endpoint: string; confirmed: boolean }>();

  /** A message delivered to a topic by another service (an EventBridge target), not through Publish. */
  record(topicArn: string, message: string, clockIso = new Date().toISOString()): void {
    this.published.push({ messageId: randomUUID(), topicArn, message, attributes: {}, at: clockIso });
  }

  private topic(arn: string | undefined): string {
    if (!arn || !TOPIC_ARN.test(arn)) throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
    if (!this.topics.has(arn)) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return arn;
  }

  reset(): void {
    this.subscriptions.clear();
    this.published = [];
    this.topics.clear();
  }

  snapshot(): unknown {
    return { topics: [...this.topics], published: this.published };
  }
}
