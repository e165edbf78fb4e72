import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { notify } from '../adapters/notify.js';
import {
  notificationTargets,
  probeConfig,
  RESOLVER_WAKE_COOLDOWN_SECONDS,
  reachabilityStore,
} from '../adapters/probe-context.js';
import { probeTargets } from '../adapters/reachability-probe.js';
import { wakeResolver } from '../adapters/resolver-wake.js';
import { instrumented, logger, metrics } from '../commons/powertools.js';
import {
  type NameProbe,
  namesForResolver,
  type ProbeTrigger,
  parseProbeTrigger,
  type VerdictChange,
  verdictOf,
} from '../core/reachability/index.js';

export interface ProbeReport {
  group: string;
  probedAt: string;
  trigger: ProbeTrigger;
  /** The VPC resolver asked. */
  resolver: string;
  reachable: number;
  unreachable: number;
  names: (NameProbe & { verdict: string; since: string; unreachableSince: string | null })[];
  changes: VerdictChange[];
  /** A later-started run wrote the record first: this run's results are reported, not recorded. */
  stale: boolean;
  /** Tracked names answered publicly, for which the resolver reconciler was started. */
  resolverWoken: string[];
  notified: { sns: boolean; events: boolean } | null;
}

function emitMetrics(probes: readonly NameProbe[], unreachable: number): void {
  for (const probe of probes) {
    const single = metrics.singleMetric();
    single.addDimensions({ group: probeConfig.groupName, name: probe.name });
    single.addMetric('NameReachable', MetricUnit.Count, probe.reachable ? 1 : 0);
    single.addMetric('DnsLatency', MetricUnit.Milliseconds, probe.dns.latencyMs);
    if (probe.tcp.latencyMs !== undefined)
      single.addMetric('TcpConnectLatency', MetricUnit.Milliseconds, probe.tcp.latencyMs);
  }
  metrics.addDimension('group', probeConfig.groupName);
  metrics.addMetric('UnreachableNames', MetricUnit.Count, unreachable);
  metrics.addMetric('ProbedNames', MetricUnit.Count, probes.length);
  metrics.publishStoredMetrics();
}

function subjectOf(changes: readonly VerdictChange[]): string {
  const [first] = changes;
  if (!first) return '';
  const what =
    first.to === 'reachable'
      ? `${first.name} reachable again${first.downSeconds === undefined ? '' : ` after ${first.downSeconds}s`}`
      : `${first.name} unreachable (${first.to})`;
  return `cgw-autopilot ${probeConfig.groupName}: ${what}${changes.length > 1 ? ` and ${changes.length - 1} more` : ''}`;
}

/**
 * The reachability probe: for every configured name, the VPC resolver's answer (classified) and a TCP
 * connection to the port, as an application in the VPC would see them. A signal, not a remedy: metrics
 * every run, a notification only when a verdict changes, the resolver reconciler woken for a tracked
 * name answered publicly; a TCP failure is reported and alarmed, never acted on.
 */
const handle = async (input: unknown): Promise<ProbeReport> => {
  const trigger = parseProbeTrigger(input);
  const now = new Date().toISOString();
  const resolver = `${probeConfig.resolverAddress}:53`;
  const probes = await probeTargets(probeConfig.targets, {
    resolver,
    vendorRanges: probeConfig.vendorRanges,
    dnsTimeoutMs: probeConfig.dnsTimeoutMs,
    dnsTries: probeConfig.dnsTries,
    tcpTimeoutMs: probeConfig.tcpTimeoutMs,
  });
  const recorded = await reachabilityStore.record(probes, now);
  const { changes, stale } = recorded;
  let { stored } = recorded;
  const unreachable = probes.filter((p) => !p.reachable).length;
  emitMetrics(probes, unreachable);

  const toRepair = stale
    ? []
    : namesForResolver(probes, probeConfig.resolverNames, {
        now,
        resolverWokenAt: stored.resolverWokenAt,
        cooldownSeconds: RESOLVER_WAKE_COOLDOWN_SECONDS,
        triggeredByResolver: trigger.kind === 'resolver-change',
      });
  const resolverWoken = await wakeResolver(probeConfig.resolverStateMachineArn, toRepair, now);
  if (resolverWoken.length > 0) {
    const woken = { ...stored, resolverWokenAt: now, revision: stored.revision + 1 };
    // A lost race only means another run recorded its own wake-up; the reconciler's lease keeps one run at a time.
    if (await reachabilityStore.write(woken, stored.revision)) stored = woken;
  }

  const names = probes.map((p) => {
    const state = stale ? undefined : stored.names[p.name];
    return {
      ...p,
      verdict: state?.verdict ?? verdictOf(p),
      since: state?.since ?? now,
      unreachableSince: state?.unreachableSince ?? null,
    };
  });
  const report: ProbeReport = {
    group: probeConfig.groupName,
    probedAt: now,
    trigger,
    resolver,
    reachable: probes.length - unreachable,
    unreachable,
    names,
    changes,
    stale,
    resolverWoken,
    notified: null,
  };
  logger.info('reachability probe', {
    group: probeConfig.groupName,
    trigger,
    unreachable,
    verdicts: Object.fromEntries(names.map((n) => [n.name, n.verdict])),
    changes,
    resolverWoken,
  });
  if (changes.length > 0) {
    report.notified = await notify(
      {
        subject: subjectOf(changes),
        detailType: 'Reachability Verdict Changed',
        detail: {
          group: probeConfig.groupName,
          probedAt: now,
          trigger,
          changes,
          names: names.map(({ name, port, verdict, since, unreachableSince, dns, tcp }) => ({
            name,
            port,
            verdict,
            since,
            unreachableSince,
            dns,
            tcp,
          })),
          resolverWoken,
        },
      },
      notificationTargets,
    );
  }
  return report;
};

export const handler = instrumented({ group: () => probeConfig.groupName }, handle);
