/** What the VPC's own resolver said about a name, classified against the vendor's address ranges. */
export type DnsVerdict = 'vendor-private' | 'public' | 'nxdomain' | 'no-address' | 'servfail' | 'timeout' | 'error';

/** What a TCP connection to the configured port did within the deadline. */
export type TcpVerdict = 'open' | 'refused' | 'timeout' | 'error' | 'not-tried';

/** The VPC resolver's answer for one name, before classification. */
export type VpcDnsAnswer =
  | { kind: 'addresses'; addresses: readonly string[] }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'servfail' }
  | { kind: 'timeout' }
  | { kind: 'error'; detail: string };

/** A name and the port an application opens on it. */
export interface ProbeTarget {
  name: string;
  port: number;
}

/** One name's result in one run. */
export interface NameProbe {
  name: string;
  port: number;
  dns: { verdict: DnsVerdict; addresses: string[]; latencyMs: number; detail?: string };
  tcp: { verdict: TcpVerdict; address?: string; latencyMs?: number; detail?: string };
  /** The name resolved to the vendor's private address and its port accepted a connection. */
  reachable: boolean;
}

/** One name as the state table keeps it between runs. */
export interface NameState {
  /** `reachable`, or what failed first: `dns:public`, `tcp:timeout`, ... */
  verdict: string;
  /** When this verdict was first seen. */
  since: string;
  /** Since when the name has been unreachable without a break, or null while reachable. */
  unreachableSince: string | null;
  lastProbedAt: string;
  dns: DnsVerdict;
  tcp: TcpVerdict;
}

export interface ProbeRecord {
  names: Record<string, NameState>;
  lastRunAt: string | null;
  /** When a run last woke the resolver reconciler, to wake it at most once per cooldown. */
  resolverWokenAt: string | null;
  /** Incremented by every write; a write is conditional on it, so two runs never both report a change. */
  revision: number;
}

/** A verdict that changed in this run: what the notification and the event tell. */
export interface VerdictChange {
  name: string;
  from: string | null;
  to: string;
  at: string;
  /** For a recovery: since when the name had been unreachable, and for how many seconds. */
  unreachableSince?: string;
  downSeconds?: number;
}
