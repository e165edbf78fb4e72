import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { createDnsLookup, resolveChains } from '../functions/adapters/dns-resolver.js';
import { planResolverRules, type ResolverConfig, type ObservedResolverRule, type NameResolution } from '../functions/core/resolver-rules/index.js';
import { startSim } from '../sim/index.js';

const N = Number(process.env.N ?? 1000);
const sim = await startSim();
const names = Array.from({ length: N }, (_, i) => `db${i}.vendor-db.example`);
const chains = names.map((name, i) => {
  const chain = [name];
  for (let l = 1; l <= 3; l++) { const next = `h${l}-${i}.vendor-hosts.example`; sim.dns.setCname(chain.at(-1)!, next); chain.push(next); }
  sim.dns.setA(chain.at(-1)!, ['10.200.0.1']);
  return chain;
});
for (const [lat, conc] of [[0, 50], [50, 50], [50, 100], [50, 200]] as const) {
  sim.dns.setLatency(lat);
  const lookup = createDnsLookup({ servers: sim.dns.servers(), timeoutMs: 1000, tries: 2 });
  const q0 = sim.dns.queryCount();
  const t = performance.now();
  const r = await resolveChains(names, lookup, { maxDepth: 8, concurrency: conc });
  const ok = [...r.values()].filter((x) => x.status === 'resolved').length;
  console.log(`dns latency ${lat} conc ${conc}: ${(performance.now() - t).toFixed(0)} ms, ${sim.dns.queryCount() - q0} queries, ${ok} resolved`);
}
await sim.stop();
const config: ResolverConfig = { groupName: 'vendor-vpn', staticDomains: [], trackedNames: names, targetIps: [{ ip: '127.0.0.1', port: 53 }], outboundEndpointId: 'rslvr-out-1', vpcIds: ['vpc-a', 'vpc-b'], gracePeriodSeconds: 86400, maxChangesPerRun: 100000 };
const resolutions: Record<string, NameResolution> = Object.fromEntries(names.map((n, i) => [n, { status: 'resolved', chain: chains[i]! }]));
let t = performance.now();
const plan0 = planResolverRules({ config, resolutions, history: { lastSeenAt: {}, lastKnownChains: {} }, observedRules: [], unmanagedAssociations: [], now: new Date().toISOString() });
console.log(`plan (all new) ${(performance.now() - t).toFixed(0)} ms, ${plan0.actions.length} actions`);
const observed: ObservedResolverRule[] = plan0.desired.map((d, i) => ({ id: `r${i}`, arn: `arn:r${i}`, name: d.name, domainName: d.domainName, ruleType: 'FORWARD', targetIps: d.targetIps, resolverEndpointId: d.resolverEndpointId, status: 'COMPLETE', managed: true, associations: d.vpcIds.map((v, j) => ({ id: `a${i}-${j}`, vpcId: v, status: 'COMPLETE' })) }));
t = performance.now();
const plan = planResolverRules({ config, resolutions, history: { lastSeenAt: {}, lastKnownChains: {} }, observedRules: observed, unmanagedAssociations: [], now: new Date().toISOString() });
console.log(`plan (no change) ${(performance.now() - t).toFixed(0)} ms, ${plan.actions.length} actions`);
t = performance.now();
const json = JSON.stringify(plan);
const packed = gzipSync(json).toString('base64');
console.log(`pack ${(performance.now() - t).toFixed(0)} ms, json ${json.length}, packed ${packed.length}`);
console.log(Object.keys(plan).map((k) => `${k}:${JSON.stringify((plan as any)[k]).length}`).join(' '));
