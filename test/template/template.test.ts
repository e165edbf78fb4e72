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
