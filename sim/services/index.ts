import type { SimService } from '../core/service.js';
import { DynamoDbService } from './dynamodb.js';
import { Ec2Service } from './ec2/index.js';
import { EventsService } from './events.js';
import { LambdaService } from './lambda/index.js';
import { ResolverService } from './resolver/index.js';
import { SfnService } from './sfn/index.js';
import { SnsService } from './sns.js';

/** Every service the simulated account serves, freshly created. */
export function defaultServices(): SimService[] {
  return [
    new DynamoDbService(),
    new Ec2Service(),
    new SnsService(),
    new EventsService(),
    new ResolverService(),
    new LambdaService(),
    new SfnService(),
  ];
}
