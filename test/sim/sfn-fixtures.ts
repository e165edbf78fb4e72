import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStateMachineCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { startSim } from '../../sim/index.js';
import type { SimServer } from '../../sim/server.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';
import type { SfnService } from '../../sim/services/sfn/index.js';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/cgw-autopilot-states';

export interface SfnHarness {
  sim: SimServer;
  client: SFNClient;
  sfn: SfnService;
  lambda: LambdaService;
  createMachine(name: string, definition: object, type?: 'STANDARD' | 'EXPRESS'): Promise<string>;
  /** Starts an execution through the API and waits in-process for it to end. */
  run(stateMachineArn: string, input?: unknown, name?: string): Promise<string>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** Polls the history (for at most 2 s of wall-clock time) until an event of this type is there. */
  untilEvent(executionArn: string, type: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSfnHarness(): Promise<SfnHarness> {
  const sim = await startSim();
  const client = new SFNClient({ endpoint: sim.endpoint, maxAttempts: 1 });
  const harness: SfnHarness = {
    sim,
    client,
    get sfn() {
      return sim.service<SfnService>('states');
    },
    get lambda() {
      return sim.service<LambdaService>('lambda');
    },
    async createMachine(name, definition, type = 'STANDARD') {
      const created = await client.send(
        new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE_ARN, type }),
      );
      return created.stateMachineArn!;
    },
    async run(stateMachineArn, input = {}, name) {
      const started = await client.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
      );
      await harness.sfn.waitForExecution(started.executionArn!);
      return started.executionArn!;
    },
    async history(executionArn) {
      const events: HistoryEvent[] = [];
      for await (const page of paginateGetExecutionHistory({ client, pageSize: 7 }, { executionArn })) {
        events.push(...(page.events ?? []));
      }
      return events;
    },
    async untilEvent(executionArn, type) {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(5)) {
        if ((await harness.history(executionArn)).some((e) => e.type === type)) return;
      }
      throw new Error(`no ${type} event in the history of ${executionArn} within 60 s`);
    },
    async stop() {
      client.destroy();
      await sim.stop();
    },
  };
  return harness;
}
