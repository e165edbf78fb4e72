import type { EmbeddedMetric } from '../services/lambda/logs.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

const STATISTICS: Record<string, (values: number[]) => number> = {
  Sum: (v) => v.reduce((a, b) => a + b, 0),
  Maximum: (v) => Math.max(...v),
  Minimum: (v) => Math.min(...v),
  Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  SampleCount: (v) => v.length,
};

const COMPARISONS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/**
 * The state a CloudWatch metric alarm would be in at `now`, from the metrics the functions emitted
 * in embedded metric format: the last EvaluationPeriods periods must all breach (missing data per
 * TreatMissingData). Datapoints count only with exactly the alarm's dimensions, as in CloudWatch.
 */
export function evaluateAlarm(alarm: Record<string, unknown>, metrics: EmbeddedMetric[], now: number): AlarmState {
  const statistic = STATISTICS[String(alarm.Statistic)];
  const compare = COMPARISONS[String(alarm.ComparisonOperator)];
  if (!statistic || !compare)
    throw new Error(
      `alarm statistic ${String(alarm.Statistic)} or comparison ${String(alarm.ComparisonOperator)} is not simulated`,
    );
  const wanted = Object.fromEntries(
    ((alarm.Dimensions ?? []) as { Name: string; Value: string }[]).map((d) => [d.Name, String(d.Value)]),
  );
  const matching = metrics.filter(
    (m) =>
      m.namespace === alarm.Namespace &&
      m.name === alarm.MetricName &&
      JSON.stringify(Object.entries(m.dimensions).sort()) === JSON.stringify(Object.entries(wanted).sort()),
  );
  const periodMs = Number(alarm.Period ?? 60) * 1000;
  const periods = Number(alarm.EvaluationPeriods ?? 1);
  const missing = String(alarm.TreatMissingData ?? 'missing');
  let breaching = 0;
  let data = 0;
  for (let i = 0; i < periods; i++) {
    const end = now - i * periodMs;
    const values = matching.filter((m) => m.timestamp > end - periodMs && m.timestamp <= end).map((m) => m.value);
    if (values.length === 0) {
      if (missing === 'breaching') breaching++;
      continue;
    }
    data++;
    if (compare(statistic(values), Number(alarm.Threshold))) breaching++;
  }
  if (breaching === periods) return 'ALARM';
  if (data === 0 && missing === 'missing') return 'INSUFFICIENT_DATA';
  return 'OK';
}

/** Whether the alarm was in ALARM at any moment a datapoint arrived (CloudWatch would have acted then). */
export function wasRaised(alarm: Record<string, unknown>, metrics: EmbeddedMetric[]): boolean {
  return metrics.some((m) => m.name === alarm.MetricName && evaluateAlarm(alarm, metrics, m.timestamp) === 'ALARM');
}
