import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

// The VPN lab's machinery: network namespaces (all named cgwlab-*), veth links, and the real daemons
// in them (strongSwan's charon with kernel-libipsec, FRR's zebra, bfdd and bgpd, the gateway agent),
// each started by this process and stopped by its pid. Only the control plane is faithful: with
// kernel-libipsec the newest SA carries all traffic whatever BGP says.

export const PREFIX = 'cgwlab';
const CHARON = '/usr/lib/ipsec/charon';
const execFileAsync = promisify(execFile);
const FRR = '/usr/lib/frr';

/** Why the lab cannot run on this machine, or null when it can. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (kernel-libipsec needs a TUN device)';
  for (const [path, pkg] of [
    [CHARON, 'strongswan-charon'],
    ['/usr/sbin/swanctl', 'strongswan-swanctl'],
    [`${FRR}/bgpd`, 'frr'],
    ['/usr/bin/vtysh', 'frr'],
    ['/usr/sbin/iptables', 'iptables'],
    ['/usr/bin/aws', 'awscli (AWS CLI v2)'],
    ['/usr/bin/curl', 'curl'],
  ] as const) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return `${path} is missing (Debian package ${pkg})`;
    }
  }
  if (!existsSync('/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so')) {
    return 'strongSwan kernel-libipsec plugin is missing (Debian package libcharon-extra-plugins)';
  }
  try {
    execFileSync('ip', ['netns', 'add', `${PREFIX}-probe`], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', `${PREFIX}-probe`], { stdio: 'pipe' });
  } catch (err) {
    return `network namespaces cannot be created here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  }
  return null;
}

/** Runs a command (in a namespace when `ns` is given); throws with its stderr. */
export function run(args: string[], ns?: string, input?: string): string {
  const argv = ns ? ['ip', 'netns', 'exec', ns, ...args] : args;
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
      ...(input !== undefined ? { input } : {}),
    }).toString();
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${argv.join(' ')}: ${(e.stderr?.toString() || e.stdout?.toString() || e.message).trim()}`);
  }
}

/** Like `run`, but an error gives an empty answer (for probes while daemons start or stop). */
export function probe(args: string[], ns?: string): string {
  try {
    return run(args, ns);
  } catch {
    return '';
  }
}

/**
 * Polls `check` until it returns a value, with a deadline; never a fixed sleep. `maxPauseMs` caps the
 * backoff, for a wait known to be short that is repeated many times.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false,
  timeoutMs = 60_000,
  maxPauseMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // 100 ms apart at first, then up to a second: a check may start processes in a namespace (swanctl,
  // vtysh at about 30 ms of CPU each), and what takes seconds (BGP's connect timer) need not be asked
  // ten times a second.
  for (let pause = Math.min(100, maxPauseMs); ; pause = Math.min(pause * 1.5, maxPauseMs)) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(pause);
  }
}

interface Daemon {
  name: string;
  child: ChildProcess;
  log: string;
}

/** Every namespace, link and process the lab made, so that cleanup finds them all even after a failure. */
export class LabProcesses {
  private daemons: Daemon[] = [];
  private namespaces: string[] = [];
  private rootLinks: string[] = [];

  constructor(readonly dir: string) {
    // FRR runs as user frr: it must reach its folders below this one.
    chmodSync(dir, 0o755);
  }

  addNamespace(name: string): void {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    run(['ip', 'link', 'set', 'lo', 'up'], name);
  }

  /** A veth pair: `a` in namespace `nsA` (or the root namespace), `b` in `nsB`. */
  addLink(a: string, nsA: string | null, b: string, nsB: string): void {
    run(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    if (nsA === null) this.rootLinks.push(a);
    else run(['ip', 'link', 'set', a, 'netns', nsA]);
    run(['ip', 'link', 'set', b, 'netns', nsB]);
    run(['ip', 'link', 'set', a, 'up'], nsA ?? undefined);
    run(['ip', 'link', 'set', b, 'up'], nsB);
  }

  /**
   * Starts a daemon in the foreground inside a namespace, in its own process group, output to a log.
   * `script` runs under sh and must `exec` the daemon, so the pid is the daemon's.
   */
  start(name: string, ns: string, script: string, env: Record<string, string> = {}): Daemon {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', script], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    });
    child.unref();
    const daemon = { name, child, log };
    this.daemons.push(daemon);
    return daemon;
  }

  pid(name: string): number | undefined {
    return this.daemons.findLast((d) => d.name === name && d.child.exitCode === null && d.child.signalCode === null)
      ?.child.pid;
  }

  /** Stops one daemon (its process group) by pid and waits until it has exited. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const daemon = this.daemons.findLast((d) => d.name === name);
    if (!daemon || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
    const exited = new Promise((done) => daemon.child.once('exit', done));
    try {
      process.kill(-daemon.child.pid!, signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-daemon.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops every daemon by pid, then removes the namespaces and links; never throws. */
  async cleanup(): Promise<void> {
    for (const daemon of [...this.daemons].reverse()) {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) continue;
      try {
        process.kill(-daemon.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(
      this.daemons.map((d) =>
        d.child.exitCode !== null || d.child.signalCode !== null
          ? Promise.resolve()
          : Promise.race([new Promise((done) => d.child.once('exit', done)), sleep(5000)]),
      ),
    );
    for (const link of this.rootLinks) probe(['ip', 'link', 'del', link]);
    for (const ns of this.namespaces.reverse()) probe(['ip', 'netns', 'del', ns]);
    this.daemons = [];
    this.namespaces = [];
    this.rootLinks = [];
  }
}

/** Removes namespaces and links a previous run left behind (a killed lab cannot clean up after itself). */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  for (const line of probe(['ip', 'netns', 'list']).split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns?.startsWith(`${PREFIX}-`)) continue;
    // Daemons still running in it are ended by their pids, as `ip netns pids` lists them.
    for (const pid of probe(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    probe(['ip', 'netns', 'del', ns]);
    removed.push(ns);
  }
  for (const line of probe(['ip', '-o', 'link', 'show']).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name?.startsWith(PREFIX)) {
      probe(['ip', 'link', 'del', name]);
      removed.push(name);
    }
  }
  return removed;
}

// ---------- one site: a gateway host and the VPN endpoint it talks to ----------

export interface SiteAddresses {
  /** 1, 2, 3: numbers every address of the site. */
  index: number;
  gatewayOutside: string;
  vgwOutside: [string, string];
  /** Inside /30s of tunnel 1 and 2: the gateway has .2, the VGW end .1. */
  inside: [string, string];
  /** The root namespace's end of the gateway's management link (the lab serves IMDS and AWS there). */
  mgmtRoot: string;
  mgmtGateway: string;
}

export function siteAddresses(index: number): SiteAddresses {
  const base = 10 + 2 * (index - 1);
  return {
    index,
    gatewayOutside: `10.100.${index}.2`,
    vgwOutside: [`10.100.${index}.1`, `10.100.${index}.11`],
    inside: [`169.254.${base}`, `169.254.${base + 1}`],
    mgmtRoot: `10.99.${index}.1`,
    mgmtGateway: `10.99.${index}.2`,
  };
}

export const TUNNELS = ['Tunnel1', 'Tunnel2'] as const;
const PSK = '0x6c61622d7072652d7368617265642d6b6579';

/** strongswan.conf of one charon: explicit plugins, kernel-libipsec, its own vici socket and log. */
function strongswanConf(dir: string): string {
  return `charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac gmp curve25519 kdf pem pkcs1 pubkey x509 kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = 2
  retransmit_base = 1.5
  retransmit_tries = 3
  filelog {
    lab {
      path = ${dir}/charon-detail.log
      time_format = %H:%M:%S
      default = 1
    }
  }
  plugins {
    vici {
      socket = unix://${dir}/charon.vici
    }
  }
}
`;
}

/**
 * swanctl.conf of the gateway (initiator: retries for ever, restarts on DPD) or of the VGW end.
 *
 * Each child has a fixed reqid. With dynamic ones, strongSwan before 5.9.12 (Debian 12 has 5.9.8) may
 * give two CHILD_SAs re-established at the same time the same reqid (strongswan/strongswan#1855,
 * fixed in 5.9.12 by the 'reqid-refcount' branch). kernel-libipsec picks an outbound SA by reqid
 * alone, so one tunnel's traffic then goes into the other tunnel's SA and is dropped by its peer:
 * both tunnels INSTALLED, one BGP session down for good. test/lab/reestablish.test.ts plays it.
 */
function swanctlConf(site: SiteAddresses, side: 'gateway' | 'vgw', hook: string): string {
  const conns = TUNNELS.map((name, t) => {
    const inside = site.inside[t]!;
    const gw = `${inside}.2/32`;
    const vgw = `${inside}.1/32`;
    const [local, remote] =
      side === 'gateway' ? [site.gatewayOutside, site.vgwOutside[t]!] : [site.vgwOutside[t]!, site.gatewayOutside];
    const localTs = side === 'gateway' ? `${gw}, 10.0.0.0/16` : `${vgw}, 10.200.0.0/16`;
    const remoteTs = side === 'gateway' ? `${vgw}, 10.200.0.0/16` : `${gw}, 10.0.0.0/16`;
    const initiator =
      side === 'gateway'
        ? `      start_action = start
      dpd_action = restart
      close_action = start
      updown = ${hook}`
        : `      start_action = none
      dpd_action = clear`;
    return `  ${name} {
    version = 2
    local_addrs = ${local}
    remote_addrs = ${remote}
    proposals = aes128-sha256-modp2048
    dpd_delay = 10s
    ${side === 'gateway' ? 'keyingtries = 0' : 'keyingtries = 1'}
    local {
      auth = psk
      id = ${local}
    }
    remote {
      auth = psk
      id = ${remote}
    }
    children {
      ${name} {
        local_ts = ${localTs}
        remote_ts = ${remoteTs}
        esp_proposals = aes128-sha256
        reqid = ${t + 1}
${initiator}
      }
    }
  }`;
  }).join('\n');
  const secrets = TUNNELS.map((name, t) => {
    const ids = [site.gatewayOutside, site.vgwOutside[t]!];
    return `  ike-${name} {
    id-1 = ${ids[0]}
    id-2 = ${ids[1]}
    secret = ${PSK}
  }`;
  }).join('\n');
  return `connections {\n${conns}\n}\nsecrets {\n${secrets}\n}\n`;
}

/** bgpd.conf: eBGP over both tunnels, timers 10/30, connect retry 5 s, BFD (FRR's 300 ms x 3). */
function bgpdConf(site: SiteAddresses, side: 'gateway' | 'vgw', dir: string): string {
  const [asn, peerAsn, routerId, network] =
    side === 'gateway'
      ? [65000, 64512, site.gatewayOutside, '10.0.0.0/16']
      : [64512, 65000, site.vgwOutside[0], '10.200.0.0/16'];
  const neighbours = site.inside
    .map((inside) => `${inside}.${side === 'gateway' ? 1 : 2}`)
    .map(
      (peer) => ` neighbor ${peer} remote-as ${peerAsn}
 neighbor ${peer} timers 10 30
 neighbor ${peer} timers connect 5
 neighbor ${peer} bfd`,
    )
    .join('\n');
  return `frr defaults traditional
hostname ${side}-${site.index}
log file ${dir}/bgpd-detail.log
!
router bgp ${asn}
 bgp router-id ${routerId}
 no bgp ebgp-requires-policy
 no bgp network import-check
${neighbours}
 !
 address-family ipv4 unicast
  network ${network}
 exit-address-family
!
`;
}

/** bfdd.conf: one single-hop session per tunnel over ipsec0, 300 ms x 3 (FRR's defaults, written out). */
function bfddConf(site: SiteAddresses, side: 'gateway' | 'vgw'): string {
  const [mine, theirs] = side === 'gateway' ? [2, 1] : [1, 2];
  const peers = site.inside
    .map(
      (inside) => ` peer ${inside}.${theirs} local-address ${inside}.${mine} interface ipsec0
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit`,
    )
    .join('\n');
  return `hostname ${side}-${site.index}\nbfd\n${peers}\nexit\n`;
}

/** The reqid of each INSTALLED CHILD_SA in `swanctl --list-sas` output, by child name. */
export function installedReqids(listing: string): Record<string, string> {
  return Object.fromEntries(
    [...listing.matchAll(/^\s+(\S+): #\d+, reqid (\d+), INSTALLED/gm)].map((m) => [m[1]!, m[2]!]),
  );
}

/** Paths of one host (gateway or VGW end) of a site. */
export class Host {
  readonly dir: string;
  readonly runDir: string;
  readonly frrDir: string;

  constructor(
    readonly lab: LabProcesses,
    readonly name: string,
    readonly ns: string,
    readonly site: SiteAddresses,
    readonly side: 'gateway' | 'vgw',
    private readonly hook: string,
  ) {
    this.dir = join(lab.dir, name);
    this.runDir = join(this.dir, 'run');
    this.frrDir = join(this.dir, 'frr');
  }

  get vici(): string {
    return `unix://${this.runDir}/charon.vici`;
  }

  swanctl(...args: string[]): string {
    return run(['swanctl', ...args, '--uri', this.vici], this.ns);
  }

  /** swanctl without blocking the event loop, so that two calls can run side by side. */
  async swanctlAsync(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('ip', ['netns', 'exec', this.ns, 'swanctl', ...args, '--uri', this.vici]);
    return stdout;
  }

  vtysh(command: string): string {
    return run(['vtysh', '--vty_socket', this.frrDir, '-c', command], this.ns);
  }

  writeConfig(): void {
    mkdirSync(this.runDir, { recursive: true });
    mkdirSync(this.frrDir, { recursive: true });
    writeFileSync(join(this.runDir, 'strongswan.conf'), strongswanConf(this.runDir));
    writeFileSync(join(this.runDir, 'swanctl.conf'), swanctlConf(this.site, this.side, this.hook));
    writeFileSync(join(this.frrDir, 'zebra.conf'), `hostname ${this.name}\n`);
    writeFileSync(join(this.frrDir, 'bfdd.conf'), bfddConf(this.site, this.side));
    writeFileSync(join(this.frrDir, 'bgpd.conf'), bgpdConf(this.site, this.side, this.frrDir));
    // FRR runs as user frr (as root it refuses the vty group): its folder must be its own.
    const uid = Number(run(['id', '-u', 'frr']).trim());
    const gid = Number(run(['id', '-g', 'frr']).trim());
    chownSync(this.frrDir, uid, gid);
    for (const f of ['zebra.conf', 'bfdd.conf', 'bgpd.conf']) chownSync(join(this.frrDir, f), uid, gid);
  }

  /**
   * Starts charon with a private /run (charon 5.9 writes /run/charon.pid whatever it is told), waits
   * for its TUN device, puts the inside addresses on it (before any CHILD_SA installs), loads the
   * connections; the gateway side then initiates.
   */
  async startCharon(): Promise<void> {
    probe(['rm', '-f', join(this.runDir, 'charon.vici'), join(this.runDir, 'charon.pid')]);
    this.lab.start(`${this.name}-charon`, this.ns, `mount --bind '${this.runDir}' /run && exec ${CHARON}`, {
      STRONGSWAN_CONF: join(this.runDir, 'strongswan.conf'),
    });
    await waitFor(`${this.name}: charon's vici socket and ipsec0`, () => {
      if (!existsSync(join(this.runDir, 'charon.vici'))) return false;
      return probe(['ip', 'link', 'show', 'ipsec0'], this.ns).includes('ipsec0');
    });
    for (const inside of this.site.inside) {
      run(['ip', 'addr', 'replace', `${inside}.${this.side === 'gateway' ? 2 : 1}/30`, 'dev', 'ipsec0'], this.ns);
    }
    run(['ip', 'link', 'set', 'ipsec0', 'up'], this.ns);
    run(['swanctl', '--load-all', '--file', join(this.runDir, 'swanctl.conf'), '--uri', this.vici], this.ns);
  }

  async stopCharon(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.lab.stop(`${this.name}-charon`, signal);
  }

  /** zebra first (its API socket must exist before the others connect), then bfdd and bgpd. */
  async startFrr(): Promise<void> {
    const common = `-u frr -g frr -z ${this.frrDir}/zserv.api --vty_socket ${this.frrDir} -P 0 --log stdout`;
    for (const daemon of ['zebra', 'bfdd', 'bgpd']) {
      if (daemon === 'bfdd')
        await waitFor(`${this.name}: zebra's API socket`, () => existsSync(join(this.frrDir, 'zserv.api')));
      const extra = daemon === 'bfdd' ? `--bfdctl ${this.frrDir}/bfdd.sock` : '';
      this.lab.start(
        `${this.name}-${daemon}`,
        this.ns,
        `exec ${FRR}/${daemon} ${common} ${extra} -i ${this.frrDir}/${daemon}.pid -f ${this.frrDir}/${daemon}.conf`,
      );
    }
  }

  /** The reqid of each INSTALLED CHILD_SA, by child name. */
  installedChildren(): Record<string, string> {
    return installedReqids(probe(['swanctl', '--list-sas', '--uri', this.vici], this.ns));
  }

  /** Names of the tunnels with an INSTALLED CHILD_SA. */
  installedTunnels(): string[] {
    return Object.keys(this.installedChildren());
  }

  /** Neighbours in Established state. */
  establishedPeers(): number {
    const json = probe(['vtysh', '--vty_socket', this.frrDir, '-c', 'show bgp summary json'], this.ns);
    return (json.match(/"state":\s*"Established"/g) ?? []).length;
  }

  /**
   * What a failed wait needs to be understood: the SAs as charon has them (with their packet counts),
   * the BGP and BFD sessions as FRR has them, and, with `logLines`, the end of charon's and bgpd's logs.
   * Kept short: CI shows the end of a failed run's output, not all of it.
   */
  state(logLines = 0): string {
    const section = (title: string, text: string) =>
      `--- ${this.name} ${title}:\n${text.replace(/\n\s*\n/g, '\n').trimEnd() || '(none)'}`;
    return [
      section('SAs', probe(['swanctl', '--list-sas', '--uri', this.vici], this.ns)),
      section('BGP', probe(['vtysh', '--vty_socket', this.frrDir, '-c', 'show bgp summary'], this.ns)),
      section('BFD', probe(['vtysh', '--vty_socket', this.frrDir, '-c', 'show bfd peers brief'], this.ns)),
      ...(logLines ? ['charon', 'bgpd'].map((daemon) => section(`${daemon} log`, this.logTail(daemon, logLines))) : []),
    ].join('\n');
  }

  /** The last lines of a daemon's output (charon's own log file for charon: its output is empty). */
  logTail(daemon: string, lines = 20): string {
    const file =
      daemon === 'charon' ? join(this.runDir, 'charon-detail.log') : join(this.lab.dir, `${this.name}-${daemon}.log`);
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
