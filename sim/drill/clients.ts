import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as ec2sdk from '@aws-sdk/client-ec2';
import * as eventsSdk from '@aws-sdk/client-eventbridge';
import * as resolverSdk from '@aws-sdk/client-route53resolver';
import * as sfnSdk from '@aws-sdk/client-sfn';
import * as snsSdk from '@aws-sdk/client-sns';
import { ScenarioError } from './scenario.js';

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };
const SDKS = {
  ec2: ec2sdk,
  route53resolver: resolverSdk,
  dynamodb: dynamodbSdk,
  events: eventsSdk,
  sfn: sfnSdk,
  sns: snsSdk,
};
export type SdkName = keyof typeof SDKS;
// biome-ignore lint/suspicious/noExplicitAny: commands are looked up by name from each SDK module
type AnyClient = { send(command: any): Promise<any> };

/**
 * The drill's own SDK clients for one account endpoint, created on first use and shared by whatever
 * builds topologies or runs steps against it. Their user agent (cgw-drill) tells the drill's calls
 * from the product's in the account's request log.
 */
export class AccountClients {
  private readonly clients = new Map<SdkName, AnyClient>();

  /** `endpoint` is read when a client is first made: an account's endpoint is known once it listens. */
  constructor(private readonly endpoint: () => string) {}

  client(service: SdkName): AnyClient {
    let client = this.clients.get(service);
    if (!client) {
      const sdk = SDKS[service] as Record<string, unknown>;
      const ctor = Object.entries(sdk).find(([k]) => k.endsWith('Client') && !k.includes('Service'))?.[1] as new (
        c: object,
      ) => AnyClient;
      client = new ctor({ endpoint: this.endpoint(), region: 'eu-west-2', credentials, customUserAgent: 'cgw-drill' });
      this.clients.set(service, client);
    }
    return client;
  }

  /** Calls `service:Action` with the real SDK, as an operator's script would. */
  // biome-ignore lint/suspicious/noExplicitAny: responses are read by field name, as a script would
  async call(target: string, params: Record<string, unknown> = {}): Promise<any> {
    const [service, action] = target.split(':') as [string, string | undefined];
    if (!(service in SDKS) || !action)
      throw new ScenarioError(
        `aws.call ${target}: expected service:Action with service one of ${Object.keys(SDKS).join(', ')}`,
      );
    const Command = (SDKS[service as SdkName] as Record<string, unknown>)[`${action}Command`] as
      | (new (
          input: object,
        ) => object)
      | undefined;
    if (!Command) throw new ScenarioError(`aws.call ${target}: the ${service} SDK has no ${action} action`);
    return this.client(service as SdkName).send(new Command(params));
  }
}
