import { AsyncLocalStorage } from 'node:async_hooks';
import type * as dns from 'node:dns';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

/** Where a connection from a function in a simulated VPC ends. */
export type ConnectDecision = { kind: 'loopback'; port: number } | { kind: 'refused' } | { kind: 'drop' };

/** The simulated VPC data plane as one Lambda invocation in a VPC sees it. */
export interface NetworkScope {
  vpcId: string;
  /** The loopback `ip:port` standing for a VPC address asked as a DNS server (the VPC's base + 2), if any. */
  dnsServerFor(ip: string, port: number): string | undefined;
  /** What a TCP connection to a non-loopback address does right now. */
  connect(ip: string, port: number): ConnectDecision;
}

const storage = new AsyncLocalStorage<NetworkScope>();
let installed = false;

/**
 * Runs fn with its TCP connections and DNS servers to VPC addresses carried by the simulated network,
 * for fn and everything it starts, and for nothing else. Like the clock and the environment, it is
 * scoped by AsyncLocalStorage, so the product's code is unmodified (node:net and node:dns as in Lambda)
 * and the sim's own sockets are untouched. Loopback addresses and host names always pass through.
 */
export function runWithNetwork<T>(scope: NetworkScope, fn: () => T): T {
  install();
  return storage.run(scope, fn);
}

function isLoopbackOrName(host: string): boolean {
  return net.isIP(host) === 0 || host.startsWith('127.') || host === '::1';
}

function connectionError(code: string, host: string, port: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} ${host}:${port}`), {
    code,
    errno: -111,
    syscall: 'connect',
    address: host,
    port,
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  // The CommonJS module objects: their properties are what ESM named imports see after syncBuiltinESMExports.
  const require = createRequire(import.meta.url);
  const netModule = require('node:net') as typeof net;
  const dnsModule = require('node:dns') as typeof dns;
  const original = netModule.createConnection;
  // biome-ignore lint/suspicious/noExplicitAny: net.createConnection's overloads, passed through unchanged
  const patched = function (this: unknown, ...args: any[]): net.Socket {
    const scope = storage.getStore();
    const options = typeof args[0] === 'object' && args[0] !== null ? (args[0] as net.NetConnectOpts) : undefined;
    const host =
      options && 'port' in options
        ? (options.host ?? 'localhost')
        : typeof args[0] === 'number'
          ? (args[1] ?? 'localhost')
          : undefined;
    const port =
      options && 'port' in options ? Number(options.port) : typeof args[0] === 'number' ? args[0] : undefined;
    if (!scope || host === undefined || port === undefined || typeof host !== 'string' || isLoopbackOrName(host))
      return original.apply(this, args as never);
    const decision = scope.connect(host, port);
    if (decision.kind === 'loopback') {
      const listener = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
      return (original as (...a: unknown[]) => net.Socket).call(
        this,
        { host: '127.0.0.1', port: decision.port },
        listener,
      );
    }
    const socket = new netModule.Socket();
    // A refused connection fails at once; a dropped one never answers (the caller's deadline ends it).
    if (decision.kind === 'refused')
      process.nextTick(() => socket.destroy(connectionError('ECONNREFUSED', host, port)));
    return socket;
  };
  netModule.createConnection = patched as typeof net.createConnection;
  netModule.connect = patched as typeof net.connect;

  for (const Resolver of [dnsModule.Resolver, dnsModule.promises.Resolver]) {
    const setServers = Resolver.prototype.setServers;
    Resolver.prototype.setServers = function (this: unknown, servers: readonly string[]) {
      const scope = storage.getStore();
      const mapped = scope ? servers.map((entry) => mapServer(scope, entry)) : servers;
      return setServers.call(this, mapped as string[]);
    };
  }
  syncBuiltinESMExports();
}

/** `ip`, `ip:port` or `[v6]:port` with a VPC address replaced by the loopback server standing for it. */
function mapServer(scope: NetworkScope, entry: string): string {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(entry);
  const match = v6 ?? v4;
  if (!match) return entry;
  return scope.dnsServerFor(match[1]!, Number(match[2] ?? 53)) ?? entry;
}
