import type { ChainResult } from '../dns-chain.js';
import type { NameResolution } from './types.js';

/** What the plan reads of one walked chain: the chain and its outcome, without addresses or TTLs. */
export function nameResolution(result: ChainResult): NameResolution {
  switch (result.status) {
    case 'resolved':
      return { status: 'resolved', chain: result.chain };
    case 'nxdomain':
      return { status: 'nxdomain', chain: result.chain };
    case 'unknown':
      return { status: 'unknown', reason: result.reason, detail: `${result.at}: ${result.detail ?? result.reason}` };
    case 'invalid':
      return { status: 'invalid', chain: result.chain, problem: result.problem, detail: result.detail };
  }
}

/** Every walked chain as the plan reads it, by tracked name. */
export function nameResolutions(chains: Iterable<[string, ChainResult]>): Record<string, NameResolution> {
  return Object.fromEntries([...chains].map(([name, result]) => [name, nameResolution(result)]));
}

/** One line per resolution, for the decision's summary. */
export function describeResolution(resolution: NameResolution): string {
  switch (resolution.status) {
    case 'resolved':
      return resolution.chain.join(' -> ');
    case 'nxdomain':
      return `NXDOMAIN${resolution.chain?.length ? ` after ${resolution.chain.join(' -> ')}` : ''}`;
    case 'unknown':
      return `unknown (${resolution.detail ?? resolution.reason ?? 'no answer'})`;
    case 'invalid':
      return `invalid: ${resolution.detail ?? resolution.problem}`;
  }
}

/**
 * Resolutions listed in the decision, which travels in the execution's JSON (256 KiB at most):
 * 2,000 chains of depth 3 alone pass it. The names that did not resolve come first.
 */
export const LISTED_RESOLUTIONS = 200;

/** The resolutions the decision lists, described, and how many it leaves out. */
export function listedResolutions(resolutions: Readonly<Record<string, NameResolution>>): {
  resolutions: Record<string, string>;
  resolutionsOmitted?: number;
} {
  const entries = Object.entries(resolutions);
  const first = [
    ...entries.filter(([, r]) => r.status !== 'resolved'),
    ...entries.filter(([, r]) => r.status === 'resolved'),
  ].slice(0, LISTED_RESOLUTIONS);
  return {
    resolutions: Object.fromEntries(first.map(([name, r]) => [name, describeResolution(r)])),
    ...(entries.length > first.length ? { resolutionsOmitted: entries.length - first.length } : {}),
  };
}
