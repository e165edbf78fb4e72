import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describeAwsError } from '../aws-errors.js';
import type { Command } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { noPositionals, requestedBy } from '../operations.js';

/** One name of the probe's report, as the reachability probe function returns it. */
interface CheckedName {
  name: string;
  port: number;
  verdict: string;
  dns: { verdict: string; addresses?: string[]; latencyMs?: number };
  tcp: { verdict: string; address?: string; latencyMs?: number };
  reachable: boolean;
}

interface ProbeReport {
  group?: string;
  probedAt?: string;
  resolver?: string;
  reachable?: number;
  unreachable?: number;
  names?: CheckedName[];
}

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);

/** The report in lines: one per name (DNS verdict, TCP verdict, latencies), then the overall verdict. */
function reportLines(report: ProbeReport): string[] {
  const names = report.names ?? [];
  const lines = [`probed ${report.probedAt ?? ''} through the VPC resolver ${report.resolver ?? ''}`.trimEnd()];
  for (const n of names) {
    const addresses = n.dns.addresses?.length ? ` ${n.dns.addresses.join(',')}` : '';
    lines.push(
      `  ${n.reachable ? 'ok  ' : 'FAIL'} ${n.name}:${n.port}  dns ${n.dns.verdict}${addresses} (${ms(n.dns.latencyMs)})  tcp ${n.tcp.verdict} (${ms(n.tcp.latencyMs)})  ${n.verdict}`,
    );
  }
  const unreachable = names.filter((n) => !n.reachable).length;
  lines.push(
    unreachable === 0
      ? `reachable: all ${names.length} names`
      : `unreachable: ${unreachable} of ${names.length} names (${names
          .filter((n) => !n.reachable)
          .map((n) => n.name)
          .join(', ')})`,
  );
  return lines;
}

/**
 * Runs the reachability probe now: invokes the stack's probe function synchronously (it resolves every
 * probed name through the VPC resolver and connects to its port, recording and notifying as a scheduled
 * run does) and prints its verdict per name. Exit 0 when every name is reachable, 1 when some is not.
 */
export const check: Command<Record<string, never>> = {
  words: ['check'],
  summary:
    'Run the reachability probe now: per name the DNS and TCP verdicts and latencies, and the overall verdict (exit 1 when a name is unreachable).',
  flags: {},
  parse(args) {
    noPositionals(args, 'check');
    return {};
  },
  async run(_input, ctx) {
    const target = await ctx.target();
    const functionName = target.outputs.ReachabilityProbeFunctionName ?? target.resources.ReachabilityProbeFunction;
    if (!functionName) {
      throw new CliError(
        `stack ${target.stackName} has no reachability probe (deploy it with ProbePorts and ProbeVpcCidr set)`,
        EXIT.usage,
      );
    }
    ctx.progress(`probing with ${functionName}`);
    // The probe waits for DNS and TCP deadlines per name; the SDK's default socket timeout is none, so
    // a synchronous invoke waits for the function to end (its own timeout bounds it).
    const lambda = new LambdaClient({ region: target.region, maxAttempts: 1 });
    let payload: string;
    let functionError: string | undefined;
    try {
      const answer = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify({ requestedBy: requestedBy() })),
        }),
      );
      payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
      functionError = answer.FunctionError;
    } catch (err) {
      throw new CliError(
        `cannot invoke ${functionName}: ${describeAwsError(err, target.endpoint).message}`,
        EXIT.usage,
      );
    }
    if (functionError) {
      // Lambda returns {errorType, errorMessage} as the payload when the handler threw.
      let detail = payload;
      try {
        const e = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
        detail = `${e.errorType ?? functionError}: ${e.errorMessage ?? ''}`;
      } catch {
        // Not JSON: the payload as it is.
      }
      throw new CliError(`the probe failed: ${detail.split('\n')[0]}`, EXIT.failed);
    }
    let report: ProbeReport;
    try {
      report = JSON.parse(payload) as ProbeReport;
    } catch {
      throw new CliError(`the probe answered something that is not JSON: ${payload.slice(0, 120)}`, EXIT.failed);
    }
    const names = report.names ?? [];
    const allReachable = names.every((n) => n.reachable);
    return {
      // The probe's report as it is (`reachable` and `unreachable` count names), with the overall verdict.
      json: { functionName, ...report, allReachable },
      text: reportLines(report).join('\n'),
      code: allReachable ? EXIT.done : EXIT.failed,
    };
  },
};
