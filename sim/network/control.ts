import { z } from 'zod';
import type { SimNetwork } from './network.js';

const tunnelsBody = z.strictObject({ instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/), up: z.boolean() });
const serviceBody = z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535) });
const portBody = serviceBody.extend({ open: z.boolean() });
const recordBody = z.strictObject({
  name: z.string(),
  a: z.array(z.string()).optional(),
  cname: z.string().optional(),
  ttl: z.number().int().min(0).optional(),
});

/**
 * The VPC network's part of the control API, under /_sim/network/:
 *
 *   GET  state                                  tunnels, vendor services, VPC resolvers, public zone
 *   POST tunnels         {instanceId, up}       a gateway's tunnels (up unless set down)
 *   POST vendor-services {address, port}        a vendor TCP service in the vendor range
 *   POST vendor-port     {address, port, open}  close or open it
 *   POST public-dns      {name, a?|cname?, ttl?} what the internet answers for a name
 */
export async function controlNetwork(
  network: SimNetwork,
  method: string,
  subpath: string,
  body: unknown,
): Promise<unknown> {
  const route = `${method.toUpperCase()} ${subpath.replace(/^\/+|\/+$/g, '')}`;
  if (route === 'GET state' || route === 'GET ') return network.snapshot();
  if (route === 'POST tunnels') {
    const input = parse(tunnelsBody, body);
    network.setTunnels(input.instanceId, input.up);
    return network.snapshot();
  }
  if (route === 'POST vendor-services') {
    const input = parse(serviceBody, body);
    await network.addVendorService(input.address, input.port);
    return network.snapshot();
  }
  if (route === 'POST vendor-port') {
    const input = parse(portBody, body);
    network.setVendorPort(input.address, input.port, input.open);
    return network.snapshot();
  }
  if (route === 'POST public-dns') {
    const input = parse(recordBody, body);
    if (!input.a === !input.cname) throw new Error('bad network control body: give exactly one of a and cname');
    if (input.a) network.publicZone.setA(input.name, input.a, input.ttl);
    if (input.cname) network.publicZone.setCname(input.name, input.cname, input.ttl);
    return network.snapshot();
  }
  throw new Error(`no network control route ${route}`);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new Error(`bad network control body: ${z.prettifyError(result.error)}`);
  return result.data;
}
