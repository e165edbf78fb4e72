import type { DeployedStack } from '../deploy/deploy.js';
import type { SimAccount } from '../index.js';
import type { Ec2Service } from '../services/ec2/service.js';
import { ec2ThrottlePolicy } from '../services/ec2/throttle.js';
import type { BusEvent, EventsService } from '../services/events.js';
import type { LambdaService } from '../services/lambda/service.js';
import { durationMs, readStepJson, ScenarioError, type ScenarioStep, type TopologyInput } from './scenario.js';
import { fillReferences, type Names, type RouteTargetInput, Topology } from './topology.js';

export type { Names } from './topology.js';

/**
 * What the drill works with while it plays one scenario: a topology built in the account and the
 * template deployed there. It runs the timeline's steps and resolves references to both; building the
 * topology and the AWS clients are the Topology's.
 */
export class DrillWorld {
  readonly topology: Topology;

  /** A world on a topology built (or to be built) in `sim`; a new one when none is given. */
  constructor(
    readonly sim: SimAccount,
    readonly stack: DeployedStack,
    readonly root: string,
    topology?: Topology,
  ) {
    this.topology = topology ?? new Topology(sim);
    if (this.topology.sim !== sim) throw new Error('DrillWorld: the topology was built in another account');
  }

  get names(): Names {
    return this.topology.names;
  }

  get runId(): string {
    return this.topology.runId;
  }

  /** Creates the scenario's topology through the AWS APIs (see Topology.build). */
  build(written: TopologyInput): Promise<void> {
    return this.topology.build(written);
  }

  /** Calls `service:Action` with the real SDK, as an operator's script would. */
  // biome-ignore lint/suspicious/noExplicitAny: responses are read by field name, as a script would
  call(target: string, params: Record<string, unknown> = {}): Promise<any> {
    return this.topology.call(target, params);
  }

  ref(kind: keyof Names, name: string): string {
    return this.topology.ref(kind, name);
  }

  /** The topology name of an id, for readable output. */
  nameOf(id: string | undefined): string | undefined {
    return this.topology.nameOf(id);
  }

  /** The route fields a written target must match, as DescribeRouteTables shows them. */
  expectedTarget(target: RouteTargetInput): Record<string, string> {
    return this.topology.expectedTarget(target);
  }

  /** The route of a table for a destination as EC2 reports it now. */
  route(table: string, destination: string): Promise<Record<string, string> | undefined> {
    return this.topology.route(table, destination);
  }

  /** Removes, best effort, what this run made on an endpoint the drill does not reset (see Topology.cleanup). */
  cleanup(): Promise<string[]> {
    return this.topology.cleanup(this.stack.resources.find((r) => r.logicalId === 'StateTable')?.physicalId);
  }

  stateMachineArn(logicalId: string): string {
    const arn = this.stack.physical[logicalId];
    if (!arn?.includes(':stateMachine:')) throw new ScenarioError(`template.yaml has no state machine ${logicalId}`);
    return arn;
  }

  /** Replaces `{{kind.name}}` in every string of a value with the id it stands for, deployed resources included. */
  fill<T>(value: T): T {
    return fillReferences(value, (kind, name) => {
      if (kind === 'stateMachine' && name !== undefined) return this.stateMachineArn(name);
      if (kind === 'resource' && name !== undefined) {
        // The resource's Ref: a table's name, a topic's ARN, a function's name.
        const id = this.stack.resources.find((r) => r.logicalId === name)?.physicalId;
        if (!id) throw new ScenarioError(`template.yaml has no resource ${name} in this deployment`);
        return id;
      }
      return this.topology.resolveReference(kind, name);
    });
  }

  /** Runs one timeline step. */
  async step(step: ScenarioStep): Promise<string> {
    if ('putEvent' in step) return this.putEvent(step.putEvent);
    if ('aws' in step) {
      await this.call(step.aws.call, this.fill(step.aws.params));
      return `called ${step.aws.call}`;
    }
    if ('terminate' in step) return this.instanceCall('TerminateInstances', step.terminate);
    if ('stop' in step) return this.instanceCall('StopInstances', step.stop);
    if ('start' in step) return this.instanceCall('StartInstances', step.start);
    if ('impair' in step) {
      this.ec2().impairInstance(this.ref('instance', step.impair));
      return `status checks of ${step.impair} fail`;
    }
    if ('restore' in step) {
      this.ec2().restoreInstance(this.ref('instance', step.restore));
      return `status checks of ${step.restore} pass again`;
    }
    if ('replaceInstance' in step) return this.replaceInstance(step.replaceInstance.name, step.replaceInstance.as);
    if ('fault' in step) {
      this.sim.faults.add(step.fault);
      return `fault on ${step.fault.service}${step.fault.action ? `:${step.fault.action}` : ''}: ${JSON.stringify(step.fault)}`;
    }
    if ('throttle' in step) {
      this.sim.faults.throttle(ec2ThrottlePolicy);
      return 'EC2 request throttling (token buckets) on';
    }
    if ('clearFaults' in step) {
      this.sim.faults.clear(step.clearFaults === 'all' ? undefined : step.clearFaults);
      return `faults cleared (${step.clearFaults})`;
    }
    if ('advance' in step) {
      this.sim.clock.advance(durationMs(step.advance));
      return `time advanced ${step.advance} to ${this.sim.clock.iso()}`;
    }
    if ('startExecution' in step) {
      const spec = step.startExecution;
      const input = spec.inputFile
        ? readStepJson(this.root, spec.inputFile, 'startExecution.inputFile')
        : (spec.input ?? {});
      const { executionArn } = await this.call('sfn:StartExecution', {
        stateMachineArn: this.stateMachineArn(spec.stateMachine),
        ...(spec.name ? { name: spec.name } : {}),
        input: JSON.stringify(this.fill(input)),
      });
      return `operator started ${spec.stateMachine} (${String(executionArn).split(':').pop()})`;
    }
    if ('stopExecution' in step) {
      const { stateMachine, name } = step.stopExecution;
      const executionArn = `${this.stateMachineArn(stateMachine).replace(':stateMachine:', ':execution:')}:${name}`;
      await this.call('sfn:StopExecution', { executionArn, error: 'Operator.Stopped', cause: 'stopped by the drill' });
      return `operator stopped ${stateMachine} (${name})`;
    }
    if ('dns' in step) {
      const d = step.dns;
      for (const record of d.set ?? []) this.topology.setDns(record);
      for (const name of d.remove ?? []) this.sim.dns.removeName(name);
      if (d.fault) this.sim.dns.fault(d.fault.name, d.fault.mode === 'none' ? undefined : d.fault.mode);
      if (d.down !== undefined) this.sim.dns.setTunnelDown(d.down);
      return `vendor DNS: ${JSON.stringify(d)}`;
    }
    if ('replay' in step) {
      const events = this.sim.service<EventsService>('events');
      const last = events.events.findLast((e) => e['detail-type'] === step.replay.detailType);
      if (!last) throw new ScenarioError(`replay: no "${step.replay.detailType}" event was published yet`);
      events.publish(structuredClone(last));
      return `EventBridge delivered ${last.source} / ${last['detail-type']} again (same id ${last.id})`;
    }
    if ('tunnels' in step) return this.setTunnels(step.tunnels.instance, step.tunnels.state, step.tunnels.report);
    if ('vendorPort' in step) {
      const { address, port, open } = step.vendorPort;
      this.sim.network.setVendorPort(address, port, open);
      return `vendor port ${address}:${port} ${open ? 'open' : 'closed'}`;
    }
    if ('invoke' in step) {
      const arn = this.stack.physical[step.invoke.function];
      if (!arn?.includes(':function:'))
        throw new ScenarioError(`template.yaml has no function ${step.invoke.function}`);
      const result = await this.sim.service<LambdaService>('lambda').invoke(arn, this.fill(step.invoke.input));
      if (result.functionError)
        throw new ScenarioError(`${step.invoke.function} failed: ${JSON.stringify(result.payload)}`);
      return `operator invoked ${step.invoke.function}`;
    }
    return `note: ${step.note}`;
  }

  private readonly agentSequences = new Map<string, number>();

  private nextAgentSequence(instanceId: string): number {
    const next = (this.agentSequences.get(instanceId) ?? 0) + 1;
    this.agentSequences.set(instanceId, next);
    return next;
  }

  /** The tunnels of a gateway go up or down, and its agent reports it as it would on the updown hook. */
  private async setTunnels(name: string, state: 'up' | 'down', report: boolean): Promise<string> {
    const instanceId = this.ref('instance', name);
    this.sim.network.setTunnels(instanceId, state === 'up');
    if (!report) return `tunnels of ${name} ${state} (not reported)`;
    const { Reservations } = await this.call('ec2:DescribeInstances', { InstanceIds: [instanceId] });
    const tags = (Reservations[0].Instances[0].Tags ?? []) as { Key: string; Value: string }[];
    const group = tags.find((t) => t.Key === 'cgw-autopilot:group')?.Value;
    if (!group) throw new ScenarioError(`tunnels: ${name} has no cgw-autopilot:group tag, so no agent would report`);
    await this.call('events:PutEvents', {
      Entries: [
        {
          Source: 'cgw-autopilot.agent',
          DetailType: 'Gateway Tunnel State',
          Detail: JSON.stringify({
            group,
            instanceId,
            tunnels: [
              { name: 'tunnel1', status: state },
              { name: 'tunnel2', status: state },
            ],
            bgp: state,
            reportedAt: this.sim.clock.iso(),
            // One boot per instance in a drill; its reports are ordered by their sequence number.
            bootId: `drill-${instanceId}`,
            sequence: this.nextAgentSequence(instanceId),
            reason: 'updown',
          }),
          Time: new Date(this.sim.clock.now()),
        },
      ],
    });
    return `tunnels of ${name} ${state}; its agent reported it`;
  }

  private ec2(): Ec2Service {
    return this.sim.service<Ec2Service>('ec2');
  }

  private async instanceCall(
    action: 'TerminateInstances' | 'StopInstances' | 'StartInstances',
    name: string,
  ): Promise<string> {
    await this.call(`ec2:${action}`, { InstanceIds: [this.ref('instance', name)] });
    return `${action} ${name}`;
  }

  /**
   * What a CloudFormation stack update does to the gateway: a new instance with the old one's
   * subnet and tags, then the old one terminated, then the stack's resource status event.
   */
  private async replaceInstance(name: string, as: string): Promise<string> {
    const oldId = this.ref('instance', name);
    const { Reservations } = await this.call('ec2:DescribeInstances', { InstanceIds: [oldId] });
    const old = Reservations[0].Instances[0];
    const tags = Object.fromEntries(
      (old.Tags ?? [])
        .filter((t: { Key: string }) => t.Key !== 'Name')
        .map((t: { Key: string; Value: string }) => [t.Key, t.Value]),
    );
    const subnetName = Object.entries(this.names.subnet).find(([, id]) => id === old.SubnetId)?.[0];
    if (!subnetName) throw new ScenarioError(`replaceInstance ${name}: its subnet is not in the topology`);
    await this.topology.launch(as, subnetName, tags, true);
    await this.topology.waitForTransitions();
    await this.call('ec2:TerminateInstances', { InstanceIds: [oldId] });
    // The gateway stack of the template's default GatewayStackName, as CloudFormation reports the replacement.
    const stackId =
      'arn:aws:cloudformation:eu-west-2:123456789012:stack/vpn-gateway-strongswan/11111111-2222-3333-4444-555555555555';
    this.publishServiceEvent({
      source: 'aws.cloudformation',
      'detail-type': 'CloudFormation Resource Status Change',
      resources: [stackId],
      detail: {
        'stack-id': stackId,
        'logical-resource-id': 'VpnGatewayInstance',
        'physical-resource-id': this.ref('instance', as),
        'status-details': {
          status: 'UPDATE_COMPLETE',
          'status-reason': 'Requested update requires the creation of a new physical resource',
        },
        'resource-type': 'AWS::EC2::Instance',
      },
    });
    return `stack update replaced ${name} (${oldId}) with ${as} (${this.ref('instance', as)})`;
  }

  /** An event an AWS service emits on the default bus (sources aws.* cannot be put with PutEvents). */
  publishServiceEvent(partial: Partial<BusEvent> & Pick<BusEvent, 'source' | 'detail-type' | 'detail'>): BusEvent {
    const events = this.sim.service<EventsService>('events');
    return events.publish({
      version: '0',
      id: crypto.randomUUID(),
      account: '123456789012',
      region: 'eu-west-2',
      time: this.sim.clock.iso().replace(/\.\d{3}Z$/, 'Z'),
      resources: [],
      ...partial,
    });
  }

  private async putEvent(spec: {
    sample?: string | undefined;
    event?: Record<string, unknown> | undefined;
    set: Record<string, unknown>;
  }): Promise<string> {
    if (!spec.sample === !spec.event) throw new ScenarioError('putEvent needs exactly one of sample or event');
    const base = spec.sample ? readStepJson(this.root, spec.sample, 'putEvent.sample') : structuredClone(spec.event);
    const event = this.fill(base) as Record<string, unknown>;
    event.time = this.sim.clock.iso().replace(/\.\d{3}Z$/, 'Z');
    for (const [path, value] of Object.entries(this.fill(spec.set))) setPath(event, path, value);
    const label = `${String(event.source)} / ${String(event['detail-type'])}${spec.sample ? ` (${spec.sample})` : ''}`;
    if (String(event.source).startsWith('aws.')) {
      this.publishServiceEvent(event as unknown as BusEvent);
      return `AWS emitted ${label}`;
    }
    const result = await this.call('events:PutEvents', {
      Entries: [
        {
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail ?? {}),
          Resources: event.resources ?? [],
          Time: new Date(this.sim.clock.now()),
        },
      ],
    });
    if (result.FailedEntryCount)
      throw new ScenarioError(`PutEvents refused ${label}: ${JSON.stringify(result.Entries)}`);
    return `PutEvents ${label}`;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}
