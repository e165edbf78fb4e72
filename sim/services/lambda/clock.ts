import { AsyncLocalStorage } from 'node:async_hooks';
import type { SimClock } from '../../core/clock.js';

const storage = new AsyncLocalStorage<SimClock>();
let installed = false;

/**
 * Runs fn with `Date.now()` and `new Date()` reading the simulated clock, for fn and everything it
 * starts, and for nothing else: the handlers' cooldowns, stale reports and grace periods then follow
 * the drill's simulated time, with no test-only code path in the product. Like the environment
 * overlay, it is scoped by AsyncLocalStorage so overlapping invocations and the sim itself are not
 * affected; time does not move inside an invocation unless the clock is advanced.
 */
export function runWithClock<T>(clock: SimClock, fn: () => T): T {
  installClock();
  return storage.run(clock, fn);
}

function installClock(): void {
  if (installed) return;
  installed = true;
  const RealDate = Date;
  const now = () => storage.getStore()?.now() ?? RealDate.now();
  class SimulatedDate extends RealDate {
    // biome-ignore lint/suspicious/noExplicitAny: Date's constructor overloads, passed through unchanged
    constructor(...args: any[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string]));
    }

    static override now(): number {
      return now();
    }
  }
  globalThis.Date = SimulatedDate as DateConstructor;
}
