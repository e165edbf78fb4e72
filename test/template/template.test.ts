import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCfnTemplate } from '../../sim/deploy/cfn-yaml.js';
import { checkSchema, checkTemplateFile, type TemplateProblem } from './template-checks.js';

const root = resolve(import.meta.dirname, '../..');
const fixtures = resolve(import.meta.dirname, '../fixtures/templates');
// The SAM schemas are not part of the project: CI points this variable at them.
const schemaDir = process.env.CGW_SAM_SCHEMAS_DIR;
if (!schemaDir)
  console.warn('SKIPPED: SAM schema checks (set CGW_SAM_SCHEMAS_DIR to the folder holding sam.schema.json)');

const checksOf = (problems: TemplateProblem[]) => problems.map((p) => p.check);

describe('template.yaml', () => {
  it('passes the state machine and entry point checks', () => {
    // Act
    const problems = checkTemplateFile(resolve(root, 'template.yaml'));

    // Assess
    expect(problems).toEqual([]);
  });

  it.skipIf(!schemaDir)('validates against the SAM schema', () => {
    // Act
    const problems = checkSchema(readCfnTemplate(resolve(root, 'template.yaml')), schemaDir!);

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('template.yaml for a security review', () => {
  type Resource = {
    Type: string;
    Properties: Record<string, unknown>;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
    Metadata?: { BuildProperties?: Record<string, unknown> };
  };
  type EventSource = { Type: string; Properties: Record<string, unknown> };
  const template = readCfnTemplate(resolve(root, 'template.yaml'));
  const resources = template.Resources as Record<string, Resource>;
  const eventSources = Object.entries(resources).flatMap(([name, r]) =>
    Object.entries((r.Properties.Events ?? {}) as Record<string, EventSource>).map(([event, source]) => ({
      where: `${name}.${event}`,
      source,
    })),
  );

  it('gives every EventBridge rule target and schedule a dead-letter queue and a retry policy', () => {
    // Act
    const missing = eventSources
      .filter(({ source }) => ['EventBridgeRule', 'ScheduleV2', 'Schedule'].includes(source.Type))
      .filter(({ source }) => !source.Properties.DeadLetterConfig || !source.Properties.RetryPolicy)
      .map(({ where }) => where);

    // Assess
    expect(eventSources.length).toBeGreaterThanOrEqual(8);
    expect(missing).toEqual([]);
  });

  it('lets Scheduler name every schedule (OmitName), so two stacks can share an account and region', () => {
    const named = eventSources
      .filter(({ source }) => source.Type === 'ScheduleV2' && source.Properties.OmitName !== true)
      .map(({ where }) => where);
    expect(named).toEqual([]);
  });

  it('encrypts the topic with a customer managed key whose policy lets CloudWatch alarms use it', () => {
    // Prepare
    const topic = Object.values(resources).find((r) => r.Type === 'AWS::SNS::Topic')!;
    const keyRef = (topic.Properties.KmsMasterKeyId as { Ref?: string } | string | undefined) ?? '';

    // Act
    const key = typeof keyRef === 'object' && keyRef.Ref ? resources[keyRef.Ref] : undefined;
    const statements = (
      (key?.Properties.KeyPolicy as { Statement?: Record<string, unknown>[] })?.Statement ?? []
    ).filter((st) => (st.Principal as { Service?: string } | undefined)?.Service === 'cloudwatch.amazonaws.com');

    // Assess
    expect(key?.Type).toBe('AWS::KMS::Key');
    expect(statements.flatMap((st) => st.Action as string[])).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
    );
  });

  it('keeps the state table when the stack is deleted or the table replaced', () => {
    const table = Object.values(resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  it("bundles the AWS SDK it was tested with into every function, from the SDK's ES modules", () => {
    // Act
    const external = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
      .filter(([, r]) => {
        const build = (r.Metadata?.BuildProperties ?? {}) as { External?: string[]; MainFields?: string };
        return (build.External ?? []).some((e) => e.startsWith('@aws-sdk')) || build.MainFields !== 'module,main';
      })
      .map(([name]) => name);

    // Assess
    expect(external).toEqual([]);
  });

  it('gives every function a log group with the LogRetentionInDays retention', () => {
    // Prepare
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
    const retained = new Set(
      Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::Logs::LogGroup' &&
            (r.Properties.RetentionInDays as { Ref?: string } | undefined)?.Ref === 'LogRetentionInDays',
        )
        .map((r) => String((r.Properties.LogGroupName as { 'Fn::Sub'?: string })['Fn::Sub'])),
    );

    // Act
    const without = functions.map(([name]) => name).filter((name) => !retained.has(`/aws/lambda/\${${name}}`));

    // Assess
    expect(without).toEqual([]);
  });

  it.each(['route-reconciler', 'resolver-reconciler'])(
    '%s retries Lambda.AWSLambdaException and Lambda.ClientExecutionTimeoutException on every Lambda task',
    (machine) => {
      // Prepare
      const definition = JSON.parse(
        readFileSync(resolve(root, `statemachines/${machine}.asl.json`), 'utf8').replace(/"\$\{[^}]+\}"/g, '"x"'),
      );
      const tasks: [string, { Resource?: string; Retry?: { ErrorEquals: string[] }[] }][] = [];
      const walk = (states: Record<string, unknown>) => {
        for (const [name, state] of Object.entries(states) as [string, Record<string, unknown>][]) {
          if (state.Type === 'Task' && String(state.Resource).startsWith('arn:aws:states:::lambda:invoke')) {
            tasks.push([name, state]);
          }
          for (const nested of [state.Iterator, state.ItemProcessor, ...((state.Branches as unknown[]) ?? [])]) {
            if (nested) walk((nested as { States: Record<string, unknown> }).States);
          }
        }
      };
      walk(definition.States);

      // Act
      const lacking = tasks
        .filter(([, task]) => {
          const retried = new Set((task.Retry ?? []).flatMap((r) => r.ErrorEquals));
          return (
            !retried.has('States.ALL') &&
            !['Lambda.AWSLambdaException', 'Lambda.ClientExecutionTimeoutException'].every((e) => retried.has(e))
          );
        })
        .map(([name]) => name);

      // Assess
      expect(tasks.length).toBeGreaterThanOrEqual(4);
      expect(lacking).toEqual([]);
    },
  );
});

describe('template checks on broken fixtures', () => {
  it('accept the valid fixture', () => {
    expect(checkTemplateFile(resolve(fixtures, 'ok.yaml'))).toEqual([]);
  });

  it.each([
    ['missing-definition.yaml', 'definition-file', /asl\/nope\.asl\.json does not exist/],
    ['bad-asl.yaml', 'asl', /asl\/bad\.asl\.json/],
    ['missing-substitution.yaml', 'placeholders', /\$\{TableName\} .* has no DefinitionSubstitutions key/],
    ['unused-substitution.yaml', 'placeholders', /UnusedArn is not used/],
    ['missing-entry-point.yaml', 'entry-points', /src\/gone\.ts does not exist/],
  ])('%s fails the %s check', (file, check, message) => {
    // Act
    const problems = checkTemplateFile(resolve(fixtures, file));

    // Assess
    expect(checksOf(problems)).toContain(check);
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
  });

  it.skipIf(!schemaDir)('broken-schema.yaml fails the schema check', () => {
    // Act
    const problems = checkSchema(readCfnTemplate(resolve(fixtures, 'broken-schema.yaml')), schemaDir!);

    // Assess
    expect(checksOf(problems)).toContain('schema');
  });

  it.skipIf(!schemaDir)('the valid fixture passes the schema check', () => {
    expect(checkSchema(readCfnTemplate(resolve(fixtures, 'ok.yaml')), schemaDir!)).toEqual([]);
  });
});
