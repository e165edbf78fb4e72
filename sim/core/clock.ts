type Timer = { at: number; seq: number; fire: () => void };

/**
 * Simulated time. Starts at a fixed instant so drills and tests are repeatable; only moves when
 * told to, or, once `followWallTime()` is called, with wall time. Timers scheduled on it fire in
 * order as time is advanced.
 */
export class SimClock {
  static readonly EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;
  private follower?: NodeJS.Timeout;

  /** True while the clock follows wall time. */
  get followsWallTime(): boolean {
    return this.follower !== undefined;
  }

  /**
   * From now on the clock reads wall time: it jumps to the current time, then every `tickMs`
   * advances by the wall time elapsed, firing due timers (Wait states, schedules, instance
   * transitions). `advance()` still moves it further ahead. Returns a function that stops following.
   */
  followWallTime(tickMs = 100): () => void {
    this.stopFollowing();
    if (Date.now() > this.current) this.advance(Date.now() - this.current);
    let last = Date.now();
    this.follower = setInterval(() => {
      const now = Date.now();
      if (now > last) this.advance(now - last);
      last = now;
    }, tickMs);
    this.follower.unref();
    return () => this.stopFollowing();
  }

  stopFollowing(): void {
    if (this.follower) clearInterval(this.follower);
    this.follower = undefined;
  }

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

  /** Back to `start` (the wall time now, for a clock that follows it) with no timers. */
  reset(start = this.follower ? Date.now() : SimClock.EPOCH): void {
    this.current = start;
    this.timers = [];
  }
}
