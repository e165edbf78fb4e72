import type { ScenarioResult } from './runner.js';

const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(ms % 60_000 ? 1 : 0)}m`;
  return `${(ms / 3_600_000).toFixed(ms % 3_600_000 ? 1 : 0)}h`;
}

/** The readable timeline of one scenario: each step and what it caused, then the expectations. */
export function renderScenario(result: ScenarioResult, verbose = false): string {
  const lines = [`== ${result.name}: ${result.description}`, `   (${result.file})`];
  for (const entry of result.timeline) {
    lines.push(`-- ${entry.at.slice(11, 19)}  ${entry.step}`);
    for (const event of entry.events) {
      const fate = event.rules.length
        ? ` -> rule ${event.rules.join(', ')}`
        : event.label.startsWith('cgw-autopilot /')
          ? '  (published for the operators)'
          : '  (matched no rule)';
      lines.push(`     event      ${event.label}${fate}`);
    }
    for (const execution of entry.executions) {
      lines.push(
        `     execution  ${execution.stateMachine}/${execution.name.slice(0, 40)} ${execution.status}: ${execution.states.join(' > ') || '(no new states)'}`,
      );
      if (verbose && execution.history) {
        for (const h of execution.history as {
          id: number;
          type: string;
          stateEnteredEventDetails?: { name: string };
        }[]) {
          lines.push(
            `                  #${h.id} ${h.type}${h.stateEnteredEventDetails ? ` ${h.stateEnteredEventDetails.name}` : ''}`,
          );
        }
      }
    }
    if (entry.calls.total > 0) {
      const byAction = Object.entries(entry.calls.byAction)
        .map(([action, n]) => `${action}${n > 1 ? ` x${n}` : ''}`)
        .join(', ');
      const failures = entry.calls.failed
        ? ` (${entry.calls.failed} failed, ${entry.calls.throttled} throttled, retried)`
        : '';
      lines.push(`     AWS calls  ${entry.calls.total}${failures}: ${byAction}`);
    }
    for (const invoked of entry.functions ?? []) lines.push(`     invoked    ${invoked}`);
    for (const change of entry.changes) lines.push(`     change     ${change}`);
    for (const note of entry.notifications) lines.push(`     notified   ${note}`);
  }
  if (result.error) lines.push(`!! the scenario could not be played: ${result.error}`);
  lines.push('   expectations:');
  for (const e of result.expectations) {
    lines.push(`     ${mark(e.ok)} ${e.expected}${e.ok ? '' : `  (found: ${e.actual})`}`);
  }
  if (result.why.length > 0) {
    lines.push('   why (the last execution of each state machine):');
    for (const line of result.why) lines.push(`     ${line}`);
  }
  return lines.join('\n');
}

/** One line per scenario: expectations met, executions, AWS calls by the product, simulated time. */
export function renderSummary(results: ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.error ? 'ERROR' : `${r.expectations.filter((e) => e.ok).length}/${r.expectations.length}`,
    String(r.executions),
    String(r.awsCalls),
    minutes(r.simulatedMs),
    r.ok ? 'pass' : 'FAIL',
  ]);
  const header = ['scenario', 'expectations', 'executions', 'AWS calls', 'sim time', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const passed = results.filter((r) => r.ok).length;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${passed} of ${results.length} scenarios passed`,
  ].join('\n');
}
