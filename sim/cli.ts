import { parseArgs } from 'node:util';
import { startSim } from './index.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '4566' }, host: { type: 'string', default: '127.0.0.1' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number (0 picks a free one), got ${values.port}`);
  process.exit(2);
}
if (values.host !== '127.0.0.1' && values.host !== '::1' && values.host !== 'localhost') {
  console.error(`--host must be a loopback address (127.0.0.1, ::1 or localhost), got ${values.host}`);
  process.exit(2);
}

const sim = await startSim({ port, host: values.host });
console.log(`cgw-autopilot simulated account listening on ${sim.endpoint}`);
console.log('Export these to point an AWS SDK or the AWS CLI at it:\n');
for (const [key, value] of Object.entries(sim.env())) console.log(`export ${key}=${value}`);
console.log(
  `\nControl API: ${sim.endpoint}/_sim/state, /_sim/requests, /_sim/faults, /_sim/clock/advance, /_sim/dns/, /_sim/network/`,
);
console.log('Ctrl-C stops it.');
const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
