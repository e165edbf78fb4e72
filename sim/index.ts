import { SimServer } from './server.js';
import { defaultServices } from './services/index.js';

export { SimServer } from './server.js';

export interface StartSimOptions {
  port?: number;
  host?: string;
  seed?: number;
}

/** Starts the simulated account on loopback with every service; `await sim.stop()` when done. */
export async function startSim(options: StartSimOptions = {}): Promise<SimServer> {
  const sim = new SimServer({ ...options, services: defaultServices() });
  await sim.start();
  return sim;
}
