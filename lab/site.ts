import { join } from 'node:path';
import { Host, type LabProcesses, PREFIX, run, type SiteAddresses, siteAddresses, waitFor } from './network.js';

/** The agent's strongSwan updown hook, as the gateways' swanctl.conf names it. */
const HOOK = join(import.meta.dirname, '../gateway/cgw-agent-updown');

/** A gateway host and the VPN endpoint (one VPN connection: two tunnels) it talks to. */
export interface Site {
  name: string;
  addresses: SiteAddresses;
  gateway: Host;
  vgw: Host;
}

/**
 * Builds the namespaces and links of a site: the gateway (`cgwlab-gw-NAME`) reaches its VPN endpoint
 * (`cgwlab-vgw-NAME`, two outside addresses, one per tunnel) over an underlay link, and the root
 * namespace over a management link (where the lab answers IMDS and AWS calls).
 */
export function buildSite(lab: LabProcesses, name: string, index: number): Site {
  const addresses = siteAddresses(index);
  const gwNs = `${PREFIX}-gw-${name}`;
  const vgwNs = `${PREFIX}-vgw-${name}`;
  lab.addNamespace(gwNs);
  lab.addNamespace(vgwNs);
  lab.addLink(`${PREFIX}-u${name}`, gwNs, `${PREFIX}-v${name}`, vgwNs);
  run(['ip', 'addr', 'add', `${addresses.gatewayOutside}/24`, 'dev', `${PREFIX}-u${name}`], gwNs);
  for (const address of addresses.vgwOutside)
    run(['ip', 'addr', 'add', `${address}/24`, 'dev', `${PREFIX}-v${name}`], vgwNs);
  // kernel-libipsec routes a CHILD_SA's traffic from an address inside its local selector: one each.
  run(['ip', 'addr', 'add', '10.0.0.1/32', 'dev', 'lo'], gwNs);
  run(['ip', 'addr', 'add', '10.200.0.1/32', 'dev', 'lo'], vgwNs);
  lab.addLink(`${PREFIX}-m${name}`, null, `${PREFIX}-n${name}`, gwNs);
  run(['ip', 'addr', 'add', `${addresses.mgmtRoot}/30`, 'dev', `${PREFIX}-m${name}`]);
  run(['ip', 'addr', 'add', `${addresses.mgmtGateway}/30`, 'dev', `${PREFIX}-n${name}`], gwNs);
  const gateway = new Host(lab, `gw-${name}`, gwNs, addresses, 'gateway', HOOK);
  const vgw = new Host(lab, `vgw-${name}`, vgwNs, addresses, 'vgw', HOOK);
  gateway.writeConfig();
  vgw.writeConfig();
  return { name, addresses, gateway, vgw };
}

/** Starts both ends' charon and FRR; the gateway initiates both tunnels. */
export async function startSite(site: Site): Promise<void> {
  // charon first: zebra and bfdd then find ipsec0 with its inside addresses.
  await site.vgw.startCharon();
  await site.gateway.startCharon();
  await Promise.all([site.vgw.startFrr(), site.gateway.startFrr()]);
}

/** Waits until both tunnels are installed and both BGP sessions Established, on the gateway. */
export async function siteUp(site: Site, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${site.name}: both tunnels installed and both BGP sessions Established`,
    () => site.gateway.installedTunnels().length >= 2 && site.gateway.establishedPeers() >= 2,
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${site.vgw.state()}\n${site.gateway.state(10)}`);
  });
}
