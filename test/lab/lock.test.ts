import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LabBusyError, takeLabLock } from '../../lab/lock.js';

// One VPN lab per machine: the lock, on a lock file of the test's own (no namespaces, no root needed).
describe('the VPN lab lock', () => {
  const holders: ReturnType<typeof spawn>[] = [];
  const dirs: string[] = [];
  const lockFile = () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'cgwlab-lock-')));
    return join(dirs.at(-1)!, 'lab.lock');
  };
  /** Another live process, as another clone's lab would be. */
  const liveProcess = () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    holders.push(child);
    return child;
  };
  afterEach(() => {
    for (const child of holders.splice(0)) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is taken with this process id when free, and released', async () => {
    // Arrange
    const lock = lockFile();

    // Act
    const release = await takeLabLock({ lock });
    const held = readFileSync(lock, 'utf8');
    release();

    // Assess
    expect(held).toBe(String(process.pid));
    expect(existsSync(lock)).toBe(false);
  });

  it('waits while another live process holds it, saying so once, and takes it when that one ends', async () => {
    // Arrange
    const lock = lockFile();
    const other = liveProcess();
    writeFileSync(lock, String(other.pid));
    const told: number[] = [];

    // Act
    let taken = false;
    const taking = takeLabLock({ lock, onWait: (pid) => told.push(pid) }).then((release) => {
      taken = true;
      return release;
    });
    const deadline = Date.now() + 60_000;
    while (told.length === 0 && Date.now() < deadline) await sleep(20);
    const takenWhileHeld = taken;
    other.kill('SIGKILL');
    const release = await taking;

    // Assess
    expect(told).toEqual([other.pid]);
    expect(takenWhileHeld).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    release();
  });

  it('takes over a lock left by a process that is gone (a killed lab)', async () => {
    // Arrange
    const lock = lockFile();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lock, gone);

    // Act
    const release = await takeLabLock({ lock, timeoutMs: 60_000 });

    // Assess
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    release();
  });

  it('gives up after its deadline naming the process that holds it, and leaves its lock alone', async () => {
    // Arrange
    const lock = lockFile();
    const other = liveProcess();
    writeFileSync(lock, String(other.pid));

    // Act
    const error = await takeLabLock({ lock, timeoutMs: 200 }).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(LabBusyError);
    expect((error as Error).message).toBe(
      `another VPN lab (pid ${other.pid}, lock ${lock}) still runs after 1 s of waiting`,
    );
    expect(readFileSync(lock, 'utf8')).toBe(String(other.pid));
  });
});
