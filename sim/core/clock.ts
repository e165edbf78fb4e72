type Timer = { at: number; seq: number; fire: () => void };

/**
 * Simulated time. Starts at a fixed instant so drills and tests are repeatable; only moves when
 * told to. Timers scheduled on it fire in order as time is advanced.
 */
export class SimClock {
  static readonly EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = SimClock.EPOCH) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  date(): Date {
    return new Date(this.current);
  }

  iso(): string {
    return this.date().toISOString();
  }

  /** Runs fire() once simulated time reaches at. Returns a function that cancels it. */
  schedule(at: number, fire: () => void): () => void {
    const timer = { at, seq: this.seq++, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** When the next timer is due, or undefined when none is scheduled. */
  nextDue(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.at)) : undefined;
  }

  /** Moves time forward by ms, firing due timers in time order (each sees the clock at its own time). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`clock advance must be a non-negative number of ms, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fire();
    }
    this.current = target;
  }

  reset(start = SimClock.EPOCH): void {
    this.current = start;
    this.timers = [];
  }
}
