import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One VPN lab at a time on a machine: its namespaces, links and the leftovers it removes at start are
 * machine-wide, so a second lab started beside a running one (two clones' test suites at once) would
 * tear the first one's namespaces down. The lock is a file holding its owner's pid; a lock whose owner
 * is gone (a killed lab) is taken over.
 */
export const LAB_LOCK = join(tmpdir(), 'cgwlab.lock');

export class LabBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabBusyError';
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function holderOf(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface LabLockOptions {
  lock?: string;
  /** How long to wait for another lab to finish. */
  timeoutMs?: number;
  /** Told once, when the lab has to wait for another one. */
  onWait?: (holder: number) => void;
}

/** Waits until no other lab runs on this machine and takes the lock; the answer gives it back. */
export async function takeLabLock(options: LabLockOptions = {}): Promise<() => void> {
  const lock = options.lock ?? LAB_LOCK;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => {
        if (holderOf(lock) === process.pid) unlinkSync(lock);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(lock);
    if (holder === undefined ? ageMs(lock) > 5_000 : !running(holder)) {
      // Left by a lab that was killed (an empty lock younger than that is one being written this instant).
      if (holderOf(lock) === holder) {
        try {
          unlinkSync(lock);
        } catch {
          // another waiter took it over first
        }
      }
      continue;
    }
    if (holder === undefined) {
      await sleep(250);
      continue;
    }
    if (holder === process.pid) throw new LabBusyError(`this process (pid ${holder}) already runs a VPN lab`);
    if (Date.now() > deadline) {
      throw new LabBusyError(
        `another VPN lab (pid ${holder}, lock ${lock}) still runs after ${Math.ceil(timeoutMs / 1000)} s of waiting`,
      );
    }
    if (!told) {
      options.onWait?.(holder);
      told = true;
    }
    await sleep(250);
  }
}
