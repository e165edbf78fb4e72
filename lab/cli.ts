import { parseArgs } from 'node:util';
import { FAULTS, type LabResult, runLab } from './lab.js';

// `npm run lab [-- FAULT...] [--repeat N] [--sender cli|curl] [--keep] [--json]`: plays the VPN lab (root, network
// namespaces and /dev/net/tun needed) and prints each fault's timeline; with --repeat, the median
// of each fault-to-route time over N runs. Exits 1 when an expectation fails.

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeat: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    sender: { type: 'string', default: 'cli' },
  },
});
const unknown = positionals.filter((name) => !FAULTS.some((f) => f.name === name));
if (unknown.length) {
  console.error(`lab: no fault named ${unknown.join(', ')} (have: ${FAULTS.map((f) => f.name).join(', ')})`);
  process.exit(2);
}
if (values.sender !== 'cli' && values.sender !== 'curl') {
  console.error(`lab: --sender must be cli or curl, got '${values.sender}'`);
  process.exit(2);
}
const sender = values.sender;
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`lab: --repeat must be a whole number >= 1, got '${values.repeat}'`);
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const results: LabResult[] = [];
for (let i = 0; i < repeat; i++) {
  const result = await runLab({
    only: positionals,
    keep: values.keep,
    sender,
    log: values.json ? undefined : (text) => console.log(text),
  });
  results.push(result);
  if (!values.json) {
    console.log(
      `\nlab run ${i + 1}/${repeat}: ${result.ok ? 'pass' : 'FAIL'} in ${result.seconds.toFixed(1)} s (set-up ${result.setupSeconds.toFixed(1)} s)`,
    );
    if (result.error) console.log(`!! ${result.error}`);
  }
}
const timings = new Map<string, number[]>();
for (const r of results) {
  for (const f of r.faults) {
    if (f.faultToRouteSeconds !== undefined)
      timings.set(f.name, [...(timings.get(f.name) ?? []), f.faultToRouteSeconds]);
  }
}
if (values.json) {
  console.log(JSON.stringify({ results, timings: Object.fromEntries(timings) }, null, 2));
} else {
  console.log('\nfault                        fault to last route switched (s)');
  for (const [name, xs] of timings) {
    console.log(`${name.padEnd(28)} median ${median(xs).toFixed(1)} of ${xs.map((x) => x.toFixed(1)).join(', ')}`);
  }
  console.log(
    `\n${results.filter((r) => r.ok).length} of ${results.length} lab runs passed; run time ${results.map((r) => r.seconds.toFixed(0)).join(', ')} s`,
  );
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
