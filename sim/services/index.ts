import type { SimService } from '../core/service.js';
import { DynamoDbService } from './dynamodb.js';
import { EventsService } from './events.js';
import { SnsService } from './sns.js';

/** Every service the simulated account serves, freshly created. */
export function defaultServices(): SimService[] {
  return [new DynamoDbService(), new SnsService(), new EventsService()];
}
