import { runLab } from '../lab/lab.js';
import { labUnavailable } from '../lab/network.js';

// Fault to last route switched, per failure mode, with the product's default settings (the lab only
// sets CooldownSeconds to 0 so faults can follow each other): the VPN lab played RUNS times, real
// strongSwan and FRR, the real agent (AWS CLI v2), the product on the simulated account.

const RUNS = Number(process.env.LAB_BENCH_RUNS ?? 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function run(): Promise<string> {
  const unavailable = labUnavailable();
  if (unavailable) return `skipped: ${unavailable}`;
  const timings = new Map<string, number[]>();
  const lines: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await runLab();
    lines.push(
      `run ${i + 1}: ${result.ok ? 'pass' : `FAIL ${result.error ?? result.faults.filter((f) => !f.ok).map((f) => f.name)}`} in ${result.seconds.toFixed(1)} s (set-up ${result.setupSeconds.toFixed(1)} s)`,
    );
    for (const f of result.faults) {
      if (f.faultToRouteSeconds !== undefined)
        timings.set(f.name, [...(timings.get(f.name) ?? []), f.faultToRouteSeconds]);
    }
  }
  lines.push('', 'fault                  fault to last route switched, s');
  for (const [name, xs] of timings) {
    lines.push(`${name.padEnd(22)} median ${median(xs).toFixed(1)} (runs: ${xs.map((x) => x.toFixed(1)).join(', ')})`);
  }
  lines.push(
    `load average at the end: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  return lines.join('\n');
}
