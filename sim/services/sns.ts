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

const TOPIC_ARN = /^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** SNS Publish, accepted and recorded so tests and drills can assert on notifications. */
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

  /** A message delivered to a topic by another service (an EventBridge target), not through Publish. */
  record(topicArn: string, message: string, clockIso = new Date().toISOString()): void {
    this.published.push({ messageId: randomUUID(), topicArn, message, attributes: {}, at: clockIso });
  }

  reset(): void {
    this.published = [];
    this.topics.clear();
  }

  snapshot(): unknown {
    return { topics: [...this.topics], published: this.published };
  }
}
