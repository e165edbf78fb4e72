import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { eventsClient, snsClient } from '../commons/clients.js';
import { logger } from '../commons/powertools.js';

export const EVENT_SOURCE = 'cgw-autopilot';

export interface Notification {
  /** Short line for the SNS subject (at most 100 characters). */
  subject: string;
  /** EventBridge detail-type, e.g. `Route Reconciliation Result`. */
  detailType: string;
  detail: Record<string, unknown>;
}

/**
 * Tells the operators: an SNS message and an EventBridge event, sent side by side. A failure to
 * notify is logged and reported back, never thrown: the change it reports has already happened.
 */
export async function notify(
  notification: Notification,
  destinations: { topicArn?: string; eventBusName?: string },
): Promise<{ sns: boolean; events: boolean }> {
  const subject = notification.subject.length > 100 ? `${notification.subject.slice(0, 97)}...` : notification.subject;
  const message = JSON.stringify({ subject, ...notification.detail }, null, 2);
  const [sns, events] = await Promise.allSettled([
    destinations.topicArn
      ? snsClient().send(new PublishCommand({ TopicArn: destinations.topicArn, Subject: subject, Message: message }))
      : Promise.resolve(undefined),
    eventsClient().send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: notification.detailType,
            Detail: JSON.stringify(notification.detail),
            ...(destinations.eventBusName ? { EventBusName: destinations.eventBusName } : {}),
          },
        ],
      }),
    ),
  ]);
  for (const [channel, outcome] of [
    ['sns', sns],
    ['events', events],
  ] as const) {
    if (outcome.status === 'rejected')
      logger.error(`notification through ${channel} failed`, { error: outcome.reason as Error });
  }
  const eventsOk = events.status === 'fulfilled' && (events.value.FailedEntryCount ?? 0) === 0;
  return { sns: sns.status === 'fulfilled' && destinations.topicArn !== undefined, events: eventsOk };
}
