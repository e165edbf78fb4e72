import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProbeTrigger } from '../../functions/core/reachability/index.js';
import { parseTrigger } from '../../functions/core/triggers.js';
import { readCfnTemplate } from '../../sim/deploy/cfn-yaml.js';
import { evaluateCondition, type ResolveScope, resolveValue } from '../../sim/deploy/intrinsics.js';
import { matchesEventPattern } from '../../sim/eventbridge/pattern.js';

const root = resolve(import.meta.dirname, '../..');
const eventsDir = resolve(root, 'events');
const catalog = JSON.parse(readFileSync(resolve(eventsDir, 'catalog.json'), 'utf8')) as {
  events: Record<string, string[]>;
  inputs: Record<string, string>;
};
const template = readCfnTemplate(resolve(root, 'template.yaml'));
const sample = (file: string) => JSON.parse(readFileSync(resolve(eventsDir, file), 'utf8'));

/** Every EventBridgeRule event source of the template's state machines, patterns resolved with the default parameters. */
function templateRules(): Map<string, unknown> {
  const resources = template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters as Record<string, { Default?: unknown }>).map(([k, v]) => [
      k,
      String(v.Default ?? ''),
    ]),
  );
  const scope: ResolveScope = {
    stackName: 'cgw-autopilot',
    region: 'eu-west-2',
    accountId: '123456789012',
    parameters,
    conditions: {},
    resources: {},
    declared: new Set(Object.keys(resources)),
  };
  for (const [name, expr] of Object.entries((template.Conditions ?? {}) as Record<string, unknown>)) {
    scope.conditions[name] = evaluateCondition(expr, scope, name);
  }
  const rules = new Map<string, unknown>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const events = (resource.Properties?.Events ?? {}) as Record<
      string,
      { Type: string; Properties: { Pattern?: unknown } }
    >;
    for (const [eventName, source] of Object.entries(events)) {
      if (source.Type !== 'EventBridgeRule') continue;
      rules.set(
        `${logicalId}.${eventName}`,
        resolveValue(source.Properties.Pattern, scope, `${logicalId}.${eventName}`),
      );
    }
  }
  return rules;
}

const rules = templateRules();

describe('sample events against the rules of template.yaml', () => {
  it('catalogue every file in events/', () => {
    // Act
    const files = readdirSync(eventsDir).filter((f) => f.endsWith('.json') && f !== 'catalog.json');

    // Assess
    expect(files.sort()).toEqual([...Object.keys(catalog.events), ...Object.keys(catalog.inputs)].sort());
  });

  it.each(Object.entries(catalog.events))('%s matches exactly %j', (file, expected) => {
    // Act
    const matched = [...rules]
      .filter(([, pattern]) => matchesEventPattern(pattern, sample(file)))
      .map(([name]) => name);

    // Assess
    expect(matched.sort()).toEqual([...expected].sort());
  });

  it.each(Object.entries(catalog.events).filter(([, rulesMatched]) => rulesMatched.length > 0))(
    '%s is a valid trigger for the reconcilers or the probe',
    (file, rulesMatched) => {
      const probeOnly = rulesMatched.every((rule) => rule.startsWith('ReachabilityProbeFunction.'));
      expect(() => (probeOnly ? parseProbeTrigger : parseTrigger)(sample(file))).not.toThrow();
    },
  );

  it.each(Object.keys(catalog.inputs))('manual input %s is a valid trigger', (file) => {
    expect(parseTrigger(sample(file))).toMatchObject({ kind: 'manual' });
  });

  it('has a sample for every rule', () => {
    // Act
    const covered = new Set(Object.values(catalog.events).flat());

    // Assess
    expect([...rules.keys()].filter((rule) => !covered.has(rule))).toEqual([]);
  });
});
