import { loadavg } from 'node:os';
import { runLab } from '../lab/lab.js';
import { labUnavailable } from '../lab/network.js';

// Fault to last route switched, per failure mode, with the product's default settings (the lab only
// sets CooldownSeconds to 0 so faults can follow each other): the VPN lab played RUNS times with real
// strongSwan and FRR and the real agent, the product on the simulated account; once with the agents
// sending through the AWS CLI v2 (the default) and once through curl's SigV4.

const RUNS = Number(process.env.LAB_BENCH_RUNS ?? 3);
const SENDERS = (process.env.LAB_BENCH_SENDERS ?? 'cli,curl').split(',') as ('cli' | 'curl')[];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');

async function measure(sender: 'cli' | 'curl'): Promise<string[]> {
  const toRoute = new Map<string, number[]>();
  const toReport = new Map<string, number[]>();
  const lines: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await runLab({ sender });
    const failed =
      result.error ??
      result.faults
        .filter((f) => !f.ok)
        .map((f) => f.name)
        .join(', ');
    lines.push(
      `run ${i + 1}: ${result.ok ? 'pass' : `FAIL ${failed}`} in ${result.seconds.toFixed(1)} s (set-up ${result.setupSeconds.toFixed(1)} s), load ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const f of result.faults) {
      if (f.faultToRouteSeconds !== undefined)
        toRoute.set(f.name, [...(toRoute.get(f.name) ?? []), f.faultToRouteSeconds]);
      if (f.faultToReportSeconds !== undefined)
        toReport.set(f.name, [...(toReport.get(f.name) ?? []), f.faultToReportSeconds]);
    }
  }
  lines.push('fault              fault to last route switched, s     of which fault to the agent report received, s');
  for (const [name, xs] of toRoute) {
    const ys = toReport.get(name) ?? [];
    const left = `${name.padEnd(18)} median ${median(xs).toFixed(1)} (${list(xs)})`;
    lines.push(`${left.padEnd(55)}${ys.length ? `median ${median(ys).toFixed(1)} (${list(ys)})` : ''}`);
  }
  return lines;
}

export async function run(): Promise<string> {
  const unavailable = labUnavailable();
  if (unavailable) return `skipped: ${unavailable}`;
  const lines: string[] = [];
  for (const sender of SENDERS) {
    lines.push(
      `-- agents sending with ${sender === 'cli' ? 'the AWS CLI v2' : "curl's SigV4"}`,
      ...(await measure(sender)),
      '',
    );
  }
  return lines.join('\n');
}
