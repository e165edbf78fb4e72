import { z } from 'zod';
import type { VendorDnsServer } from './server.js';
import { VENDOR_RECORD_TYPES } from './zone.js';

const ttl = z.number().int().min(0).optional();
const recordBody = z.object({ name: z.string(), type: z.enum(VENDOR_RECORD_TYPES), values: z.array(z.string()), ttl });
const cnameBody = z.object({ name: z.string(), target: z.string(), ttl });
const aBody = z.object({ name: z.string(), ips: z.array(z.string()), ttl });
const faultBody = z.object({ name: z.string(), fault: z.enum(['timeout', 'servfail', 'refused']).nullable() });
const tunnelBody = z.object({ down: z.boolean() });
const latencyBody = z.object({ ms: z.number().min(0) });
const queriesBody = z.object({ name: z.string().optional(), since: z.number().int().optional() }).optional();

/**
 * The vendor DNS server's part of the simulated account's control API, mounted under /_sim/dns/.
 * Returns the JSON to answer with; throws (the account answers 400) on a bad route or body.
 *
 *   GET    state                                   snapshot
 *   POST   records   {name, type, values, ttl?}    set one record set
 *   POST   cname     {name, target, ttl?}
 *   POST   a         {name, ips, ttl?}
 *   DELETE names/<name>                           remove every record at name
 *   POST   faults    {name, fault|null}            timeout | servfail | refused, null clears
 *   POST   tunnel    {down}                        every query times out while down
 *   POST   latency   {ms}
 *   GET    queries   {name?, since?}               the query log
 *   POST   reset
 */
export function controlVendorDns(server: VendorDnsServer, method: string, subpath: string, body: unknown): unknown {
  const route = `${method.toUpperCase()} ${subpath.replace(/^\/+|\/+$/g, '')}`;
  if (route === 'GET state' || route === 'GET ') return server.snapshot();
  if (route === 'POST records') {
    const input = parse(recordBody, body);
    server.setRecord(input.name, input.type, input.values, input.ttl);
    return server.snapshot().zone;
  }
  if (route === 'POST cname') {
    const input = parse(cnameBody, body);
    server.setCname(input.name, input.target, input.ttl);
    return server.snapshot().zone;
  }
  if (route === 'POST a') {
    const input = parse(aBody, body);
    server.setA(input.name, input.ips, input.ttl);
    return server.snapshot().zone;
  }
  if (route.startsWith('DELETE names/')) {
    return { removed: server.removeName(decodeURIComponent(route.slice('DELETE names/'.length))) };
  }
  if (route === 'POST faults') {
    const input = parse(faultBody, body);
    server.fault(input.name, input.fault ?? undefined);
    return server.snapshot().faults;
  }
  if (route === 'POST tunnel') {
    server.setTunnelDown(parse(tunnelBody, body).down);
    return { tunnelDown: server.snapshot().tunnelDown };
  }
  if (route === 'POST latency') {
    server.setLatency(parse(latencyBody, body).ms);
    return { latencyMs: server.snapshot().latencyMs };
  }
  if (route === 'GET queries') {
    const input = parse(queriesBody, body) ?? {};
    return server.queries({
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.since === undefined ? {} : { since: input.since }),
    });
  }
  if (route === 'POST reset') {
    server.reset();
    return server.snapshot();
  }
  throw new Error(`no DNS control route ${route}`);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new Error(`bad DNS control body: ${z.prettifyError(result.error)}`);
  return result.data;
}
