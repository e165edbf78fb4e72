import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from '../core/forward.js';
import type { ProxyService, RawRequest, RawResponse } from '../core/service.js';

const require = createRequire(import.meta.url);
// dynalite has no types; its factory returns an http.Server speaking the DynamoDB API.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

/**
 * DynamoDB, served by dynalite in memory on its own loopback port and reached through the sim's
 * endpoint, so one AWS_ENDPOINT_URL covers it and the request log and faults apply to it too.
 */
export class DynamoDbService implements ProxyService {
  readonly name = 'dynamodb';
  readonly protocol = 'proxy';
  readonly targetPrefix = 'DynamoDB_20120810';
  readonly throttleError = { code: 'ThrottlingException', status: 400 };
  private server?: Server;
  private port = 0;

  async start(): Promise<void> {
    if (this.server) return;
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async reset(): Promise<void> {
    await this.stop();
    await this.start();
  }

  snapshot(): unknown {
    return { endpoint: this.server ? `http://127.0.0.1:${this.port}` : undefined };
  }

  async forward(request: RawRequest): Promise<RawResponse> {
    if (!this.server) await this.start();
    return forwardRequest(`http://127.0.0.1:${this.port}`, request);
  }
}
