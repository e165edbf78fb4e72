import { domainNameProblem, normaliseDomainName } from './domain-names.js';
import type { NameResolution, ResolverConfig, ResolverNameHistory, ResolverRuleProblem } from './types.js';

/** How this run's DNS results bear on each name. */
export interface ChainView {
  /** Names in a chain resolved this run (resolved or NXDOMAIN), with the tracked names whose chain holds them. */
  current: Map<string, Set<string>>;
  /** Names in the last known chain of a tracked name that could not be resolved: kept as they were known. */
  held: Map<string, Set<string>>;
  /** Names of an invalid chain (reported or last known) wanted by nothing else: nothing of them changes. */
  frozen: Set<string>;
  /** Tracked names that could not be resolved this run (timeout, SERVFAIL, no result). */
  unresolved: string[];
  problems: ResolverRuleProblem[];
  /** The last known chain of every configured tracked name, to store. */
  lastKnownChains: Record<string, string[]>;
}

type Reading =
  | { kind: 'current'; chain: string[]; nxdomain: boolean }
  | { kind: 'unresolved' }
  | { kind: 'invalid'; message: string; names: string[] };

function add(map: Map<string, Set<string>>, name: string, reason: string): void {
  const reasons = map.get(name) ?? new Set<string>();
  reasons.add(reason);
  map.set(name, reasons);
}

/** Checks a reported chain: starts with the tracked name, no name twice, every name a valid domain. */
function readChain(trackedName: string, reported: readonly string[]): string[] | string {
  const chain = reported.map(normaliseDomainName);
  if (chain[0] !== trackedName) return `the chain does not start with ${trackedName}: ${chain.join(' -> ')}`;
  if (new Set(chain).size !== chain.length) return `the chain loops: ${chain.join(' -> ')}`;
  for (const name of chain) {
    const problem = domainNameProblem(name);
    if (problem) return `the chain holds an invalid name: ${problem}`;
  }
  return chain;
}

function read(trackedName: string, resolution: NameResolution | undefined): Reading {
  switch (resolution?.status) {
    case undefined:
    case 'unknown':
      return { kind: 'unresolved' };
    case 'invalid':
      return {
        kind: 'invalid',
        message: [resolution.problem, resolution.detail].filter((part) => part).join(': ') || 'invalid chain',
        names: (resolution.chain ?? []).map(normaliseDomainName),
      };
    case 'resolved':
    case 'nxdomain': {
      const reported = resolution.chain && resolution.chain.length > 0 ? resolution.chain : [trackedName];
      const chain = readChain(trackedName, reported);
      if (typeof chain === 'string')
        return { kind: 'invalid', message: chain, names: reported.map(normaliseDomainName) };
      return { kind: 'current', chain, nxdomain: resolution.status === 'nxdomain' };
    }
  }
}

/** Reads every tracked name's DNS result against its last known chain. */
export function readChains(
  config: ResolverConfig,
  resolutions: Readonly<Record<string, NameResolution>>,
  history: ResolverNameHistory,
): ChainView {
  const view: ChainView = {
    current: new Map(),
    held: new Map(),
    frozen: new Set(),
    unresolved: [],
    problems: [],
    lastKnownChains: {},
  };
  const frozenCandidates = new Set<string>();
  for (const trackedName of config.trackedNames) {
    const lastKnown = history.lastKnownChains[trackedName];
    const reading = read(trackedName, resolutions[trackedName]);
    if (reading.kind === 'current') {
      for (const name of reading.chain) add(view.current, name, trackedName);
      view.lastKnownChains[trackedName] = reading.chain;
      if (reading.nxdomain) {
        view.problems.push({
          kind: 'nxdomain',
          name: trackedName,
          message: `${reading.chain.at(-1)} does not exist (NXDOMAIN): only ${reading.chain.join(' -> ')} is forwarded`,
          ruleIds: [],
        });
      }
      continue;
    }
    if (lastKnown) view.lastKnownChains[trackedName] = lastKnown;
    if (reading.kind === 'unresolved') {
      view.unresolved.push(trackedName);
      for (const name of lastKnown ?? [trackedName]) add(view.held, name, trackedName);
      add(view.held, trackedName, trackedName);
    } else {
      for (const name of [trackedName, ...reading.names, ...(lastKnown ?? [])]) frozenCandidates.add(name);
      view.problems.push({
        kind: 'invalid-chain',
        name: trackedName,
        message: `${trackedName}: ${reading.message}; its rules are left as they are`,
        ruleIds: [],
      });
    }
  }
  const wantedElsewhere = new Set([...config.staticDomains, ...view.current.keys(), ...view.held.keys()]);
  for (const name of frozenCandidates) if (!wantedElsewhere.has(name)) view.frozen.add(name);
  return view;
}
