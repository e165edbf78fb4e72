import type { ChainView } from './chains.js';
import { compareText } from './order.js';
import type { ResolverConfig, ResolverNameHistory } from './types.js';

/** Epoch milliseconds of an ISO 8601 time, or undefined when it is not one. */
export function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * True when a name may lose its rule as far as time goes: it was last seen longer than the grace
 * period ago. A name with no (or an unreadable) last-seen time is never retirable: fail safe.
 */
export function graceExpired(
  history: ResolverNameHistory,
  name: string,
  nowMs: number,
  gracePeriodSeconds: number,
): boolean {
  const lastSeen = parseTime(history.lastSeenAt[name]);
  return lastSeen !== undefined && nowMs - lastSeen > gracePeriodSeconds * 1000;
}

/**
 * The history to store after this run: names in a resolved chain and static domains seen now; names of
 * managed rules with no readable time start their grace period now; names no longer wanted, with no
 * managed rule and past the grace period are forgotten.
 */
export function nextResolverHistory(
  config: ResolverConfig,
  view: ChainView,
  history: ResolverNameHistory,
  wanted: ReadonlySet<string>,
  managedDomains: ReadonlySet<string>,
  now: string,
): ResolverNameHistory {
  const nowMs = Date.parse(now);
  const lastSeenAt: Record<string, string> = {};
  for (const [name, seenAt] of Object.entries(history.lastSeenAt)) {
    const keep =
      wanted.has(name) || managedDomains.has(name) || !graceExpired(history, name, nowMs, config.gracePeriodSeconds);
    if (keep) lastSeenAt[name] = parseTime(seenAt) === undefined ? now : seenAt;
  }
  for (const name of managedDomains) lastSeenAt[name] ??= now;
  for (const name of [...config.staticDomains, ...view.current.keys()]) lastSeenAt[name] = now;
  const sorted = Object.fromEntries(Object.entries(lastSeenAt).sort(([a], [b]) => compareText(a, b)));
  return { lastSeenAt: sorted, lastKnownChains: view.lastKnownChains };
}
