export type RequestOutcome = 'ok' | { error: string; status: number };

export interface RequestRecord {
  seq: number;
  service: string;
  action: string;
  params: unknown;
  /** Wall-clock milliseconds (performance.now) when the request arrived and when it was answered. */
  start: number;
  end: number;
  outcome: RequestOutcome;
  /** Set when the sim itself produced the outcome (injected error or throttling, or a timed-out invocation's request dropped). */
  injected?: 'error' | 'throttle' | 'dropped';
  /** The drill's own calls (building the topology, changing the world, checking expectations). */
  byDrill?: true;
}

export interface RequestSummary {
  total: number;
  errors: number;
  throttled: number;
  perAction: Record<string, number>;
  sequentialDepth: number;
}

/** Every AWS request the sim answered, for tests, drills and benchmarks. */
export class RequestLog {
  private records: RequestRecord[] = [];
  private seq = 0;

  add(record: Omit<RequestRecord, 'seq'>): RequestRecord {
    const full = { ...record, seq: this.seq++ };
    this.records.push(full);
    return full;
  }

  all(filter?: { service?: string; action?: string; since?: number; product?: boolean }): RequestRecord[] {
    return this.records.filter(
      (r) =>
        (!filter?.product || !r.byDrill) &&
        (!filter?.service || r.service === filter.service) &&
        (!filter?.action || r.action === filter.action) &&
        (filter?.since === undefined || r.seq >= filter.since),
    );
  }

  /** A marker to pass as `since` to look only at what came after it. */
  mark(): number {
    return this.seq;
  }

  summary(filter?: { service?: string; since?: number; product?: boolean }): RequestSummary {
    const records = this.all(filter);
    const perAction: Record<string, number> = {};
    for (const r of records) {
      const key = `${r.service}:${r.action}`;
      perAction[key] = (perAction[key] ?? 0) + 1;
    }
    return {
      total: records.length,
      errors: records.filter((r) => r.outcome !== 'ok').length,
      throttled: records.filter((r) => r.injected === 'throttle').length,
      perAction,
      sequentialDepth: sequentialDepth(records),
    };
  }

  clear(): void {
    this.records = [];
  }
}

/**
 * The longest chain of calls in which each starts only after the previous one ended: how many
 * round trips a run waited for one after another, whatever ran beside them.
 */
export function sequentialDepth(records: readonly Pick<RequestRecord, 'start' | 'end'>[]): number {
  const byEnd = [...records].sort((a, b) => a.end - b.end);
  const byStart = [...records].sort((a, b) => a.start - b.start);
  let best = 0;
  let bestBefore = 0;
  let j = 0;
  const depth = new Map<Pick<RequestRecord, 'start' | 'end'>, number>();
  for (const r of byStart) {
    while (j < byEnd.length && byEnd[j]!.end <= r.start) {
      const d = depth.get(byEnd[j]!);
      if (d !== undefined) bestBefore = Math.max(bestBefore, d);
      j++;
    }
    const d = bestBefore + 1;
    depth.set(r, d);
    best = Math.max(best, d);
  }
  return best;
}
