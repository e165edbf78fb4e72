import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeLabLock } from './lock.js';
import { LabProcesses, labUnavailable, removeLeftovers, TUNNELS, waitFor } from './network.js';
import { buildSite, type Site, siteUp, startSite } from './site.js';

/** One re-establishment of both tunnels: the reqid of each tunnel's new CHILD_SA on the gateway. */
export interface Reestablishment {
  reqids: Record<string, string>;
  /** Seconds from the VGW's terminate to both CHILD_SAs installed again. */
  seconds: number;
}

export interface ReestablishResult {
  cycles: Reestablishment[];
  /** Cycles after which two tunnels' CHILD_SAs shared a reqid. */
  shared: number;
  /** Empty when both BGP sessions were Established after the last cycle; else why not. */
  finalState: string;
  seconds: number;
}

const sharesReqid = (c: Reestablishment) => new Set(Object.values(c.reqids)).size < TUNNELS.length;

async function cycle(site: Site): Promise<Reestablishment> {
  const started = performance.now();
  // The VGW deletes both IKE SAs at the same moment (two swanctl calls side by side); the gateway
  // re-initiates both (close_action). With dynamic reqids, 60 such cycles made two CHILD_SAs share a
  // reqid in 4 runs of 4 (first at cycles 1, 7, 15 and 21); with the two calls one after the other, in
  // 2 runs of 4.
  await Promise.all(TUNNELS.map((tunnel) => site.vgw.swanctlAsync('--terminate', '--ike', tunnel, '--force')));
  const reqids = await waitFor(
    `${site.name}: both CHILD_SAs installed again`,
    () => {
      const installed = site.gateway.installedChildren();
      return TUNNELS.every((t) => installed[t] !== undefined) ? installed : false;
    },
    30_000,
    // Most cycles take 0.2 s: asked every 50 ms, not backing off towards a second, 50 cycles took 30.2
    // and 30.7 s against 37.3 and 44.5 s, measured in turns.
    50,
  );
  return { reqids, seconds: (performance.now() - started) / 1000 };
}

/**
 * Has one site's VGW delete both of the gateway's IKE SAs at once, `count` times, and records the
 * reqids of the CHILD_SAs the gateway re-establishes; then waits for both BGP sessions. Real
 * strongSwan and FRR in network namespaces, no product: what it checks is the lab's own gateway
 * configuration (lab/network.ts swanctlConf). Takes the lab lock like the lab.
 */
export async function reestablishTogether(
  count: number,
  log: (text: string) => void = () => undefined,
): Promise<ReestablishResult> {
  const unavailable = labUnavailable();
  if (unavailable) throw new Error(`the VPN lab cannot run here: ${unavailable}`);
  const release = await takeLabLock({
    onWait: (pid) => log(`-- another VPN lab runs on this machine (pid ${pid}): waiting for it to end`),
  });
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cgwlab-'));
  const processes = new LabProcesses(dir);
  try {
    removeLeftovers();
    const site = buildSite(processes, 'a', 1);
    await startSite(site);
    await siteUp(site, 60_000);
    const cycles: Reestablishment[] = [];
    for (let i = 0; i < count; i++) {
      const result = await cycle(site);
      cycles.push(result);
      if (sharesReqid(result)) log(`cycle ${i + 1}: CHILD_SAs share a reqid: ${JSON.stringify(result.reqids)}`);
    }
    let finalState = '';
    await siteUp(site, 60_000).catch((err: Error) => (finalState = err.message));
    const shared = cycles.filter(sharesReqid).length;
    return { cycles, shared, finalState, seconds: (performance.now() - started) / 1000 };
  } finally {
    await processes.cleanup();
    rmSync(dir, { recursive: true, force: true });
    release();
  }
}
