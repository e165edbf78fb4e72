import type { SimClock } from '../../core/clock.js';
import type { ActionHandler, Ec2QueryService } from '../../core/service.js';
import { EC2_ACTIONS } from './actions/index.js';
import { asParams } from './params.js';
import {
  addressView,
  instanceView,
  internetGatewayView,
  networkInterfaceView,
  prefixListView,
  routeTableView,
  subnetView,
  transitGatewayView,
  transitGatewayVpcAttachmentView,
  vpcPeeringConnectionView,
  vpcView,
  vpnGatewayView,
} from './views.js';
import { Ec2World, type InstanceStateChange, type TransitionDelays } from './world.js';

export type StatusChecks = { system?: boolean; instance?: boolean };

/**
 * The simulated EC2 service: the actions the product uses, served over EC2's query protocol, plus
 * a programmatic and HTTP (/_sim/ec2/...) control surface for scenarios.
 */
export class Ec2Service implements Ec2QueryService {
  readonly name = 'ec2';
  readonly protocol = 'ec2';
  readonly throttleError = { code: 'RequestLimitExceeded', status: 503 };
  readonly world = new Ec2World();
  readonly actions: Record<string, ActionHandler>;

  constructor(options: { transitionDelays?: Partial<TransitionDelays> } = {}) {
    if (options.transitionDelays) this.setTransitionDelays(options.transitionDelays);
    this.actions = Object.fromEntries(
      Object.entries(EC2_ACTIONS).map(([name, action]): [string, ActionHandler] => [
        name,
        (params, ctx) => {
          this.world.clock = ctx.clock;
          this.world.accountId = ctx.accountId;
          this.world.region = ctx.region;
          this.world.sweep();
          return action(this.world, asParams(params), ctx);
        },
      ]),
    );
  }

  /** Schedules state transitions on this clock before the first request arrives (requests bring theirs). */
  useClock(clock: SimClock): void {
    this.world.clock = clock;
  }

  reset(): void {
    const delays = this.world.delays;
    this.world.reset();
    this.world.delays = delays;
  }

  /** Simulated time each instance transition takes; a number sets all three. 0 makes them immediate. */
  setTransitionDelays(delays: number | Partial<TransitionDelays>): TransitionDelays {
    const next = typeof delays === 'number' ? { pending: delays, stopping: delays, shuttingDown: delays } : delays;
    for (const [key, value] of Object.entries(next)) {
      if (!['pending', 'stopping', 'shuttingDown'].includes(key)) throw new TypeError(`unknown transition ${key}`);
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`transition delay ${key} must be a non-negative number of ms`);
      }
    }
    this.world.delays = { ...this.world.delays, ...next };
    return { ...this.world.delays };
  }

  /** Fails an instance's status checks (both by default) until restoreInstance. */
  impairInstance(instanceId: string, checks: StatusChecks = { system: true, instance: true }): void {
    const instance = this.instance(instanceId);
    instance.impaired = { system: checks.system ?? false, instance: checks.instance ?? false };
  }

  restoreInstance(instanceId: string): void {
    this.instance(instanceId).impaired = { system: false, instance: false };
  }

  /** Instance state changes as they happen (EC2 publishes these to EventBridge). */
  onInstanceStateChange(listener: (change: InstanceStateChange) => void): () => void {
    return this.world.onInstanceStateChange(listener);
  }

  snapshot() {
    const world = this.world;
    const s = world.state;
    return {
      vpcs: [...s.vpcs.values()].map((v) => vpcView(world, v)),
      subnets: [...s.subnets.values()].map((v) => subnetView(world, v)),
      internetGateways: [...s.internetGateways.values()].map((v) => internetGatewayView(world, v)),
      vpnGateways: [...s.vpnGateways.values()].map(vpnGatewayView),
      transitGateways: [...s.transitGateways.values()].map((v) => transitGatewayView(world, v)),
      transitGatewayVpcAttachments: [...s.transitGatewayVpcAttachments.values()].map((v) =>
        transitGatewayVpcAttachmentView(world, v),
      ),
      vpcPeeringConnections: [...s.vpcPeeringConnections.values()].map((v) => vpcPeeringConnectionView(world, v)),
      prefixLists: [...s.prefixLists.values()].map((v) => ({ ...prefixListView(world, v), entries: v.entries })),
      routeTables: [...s.routeTables.values()].map((v) => routeTableView(world, v)),
      instances: [...s.instances.values()].map((v) => ({
        ...instanceView(world, v),
        statusChecks: {
          system: v.impaired.system ? 'impaired' : 'ok',
          instance: v.impaired.instance ? 'impaired' : 'ok',
        },
      })),
      networkInterfaces: [...s.networkInterfaces.values()].map((v) => networkInterfaceView(world, v)),
      addresses: [...s.addresses.values()].map((v) => addressView(world, v)),
      transitionDelays: { ...world.delays },
      networkDelays: { ...world.networkDelays },
    };
  }

  /**
   * HTTP control routes under /_sim/ec2/:
   * GET state; POST instances/{id}/impair {system?, instance?}; POST instances/{id}/restore;
   * GET|POST transition-delays {pending?, stopping?, shuttingDown?} or {ms}.
   */
  control(method: string, subpath: string, body: unknown): unknown {
    const input = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const instanceRoute = /^instances\/([^/]+)\/(impair|restore)$/.exec(subpath);
    if (method === 'GET' && (subpath === '' || subpath === 'state')) return this.snapshot();
    if (method === 'POST' && instanceRoute) {
      const [, id, verb] = instanceRoute;
      if (verb === 'restore') this.restoreInstance(id!);
      else {
        const checks: StatusChecks =
          input.system === undefined && input.instance === undefined
            ? { system: true, instance: true }
            : { system: input.system === true, instance: input.instance === true };
        this.impairInstance(id!, checks);
      }
      return { instanceId: id, impaired: this.instance(id!).impaired };
    }
    if (subpath === 'transition-delays') {
      if (method === 'GET') return { ...this.world.delays };
      if (method === 'POST' || method === 'PUT') {
        return this.setTransitionDelays(typeof input.ms === 'number' ? input.ms : (input as Partial<TransitionDelays>));
      }
    }
    throw new Error(`no control route ${method} /_sim/ec2/${subpath}`);
  }

  private instance(instanceId: string) {
    const instance = this.world.state.instances.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId} in the simulated account`);
    return instance;
  }
}
