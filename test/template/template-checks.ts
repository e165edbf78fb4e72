import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type AjvDraft04Module from 'ajv-draft-04';
import { readCfnTemplate } from '../../sim/deploy/cfn-yaml.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04') as typeof AjvDraft04Module.default;
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

export interface TemplateProblem {
  check: 'schema' | 'definition-file' | 'asl' | 'placeholders' | 'entry-points';
  resource?: string;
  message: string;
}

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

function resourcesOf(template: Record<string, unknown>): [string, Resource][] {
  return Object.entries((template.Resources ?? {}) as Record<string, Resource>);
}

/** Validates the template against the SAM JSON schema (draft-04), CloudFormation tags kept as plain objects. */
export function checkSchema(template: Record<string, unknown>, schemaDir: string): TemplateProblem[] {
  const schema = JSON.parse(readFileSync(join(schemaDir, 'sam.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  if (validate(template)) return [];
  return (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => ({
    check: 'schema' as const,
    message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
  }));
}

/** `${Name}` placeholders in an ASL text, without the `${AWS::...}` pseudo parameters. */
export function placeholdersIn(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/\$\{([A-Za-z0-9_.:]+)\}/g)].map((m) => m[1]!).filter((n) => !n.startsWith('AWS::')),
  );
}

/** A plausible value for a placeholder, so the ASL can be validated the way it will be deployed. */
function sampleValue(name: string): string {
  if (/Function(Arn)?$/i.test(name)) return `arn:aws:lambda:eu-west-2:123456789012:function:${name}`;
  if (/StateMachine(Arn)?$/i.test(name)) return `arn:aws:states:eu-west-2:123456789012:stateMachine:${name}`;
  if (/Topic(Arn)?$/i.test(name)) return `arn:aws:sns:eu-west-2:123456789012:${name}`;
  return name;
}

/** Every state machine's definition file exists, is valid ASL, and its placeholders match DefinitionSubstitutions. */
export function checkStateMachines(template: Record<string, unknown>, root: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const [name, resource] of resourcesOf(template)) {
    if (resource.Type !== 'AWS::Serverless::StateMachine') continue;
    const uri = resource.Properties?.DefinitionUri;
    if (typeof uri !== 'string') {
      problems.push({
        check: 'definition-file',
        resource: name,
        message: 'DefinitionUri must be a path to an ASL file',
      });
      continue;
    }
    const path = resolve(root, uri);
    if (!existsSync(path)) {
      problems.push({ check: 'definition-file', resource: name, message: `DefinitionUri ${uri} does not exist` });
      continue;
    }
    const text = readFileSync(path, 'utf8');
    const substitutions = (resource.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    const used = placeholdersIn(text);
    for (const placeholder of used) {
      if (!(placeholder in substitutions)) {
        problems.push({
          check: 'placeholders',
          resource: name,
          message: `\${${placeholder}} in ${uri} has no DefinitionSubstitutions key`,
        });
      }
    }
    for (const key of Object.keys(substitutions)) {
      if (!used.has(key)) {
        problems.push({
          check: 'placeholders',
          resource: name,
          message: `DefinitionSubstitutions key ${key} is not used in ${uri}`,
        });
      }
    }
    const filled = text.replace(/\$\{([A-Za-z0-9_.:]+)\}/g, (_, n: string) => sampleValue(n));
    let definition: unknown;
    try {
      definition = JSON.parse(filled);
    } catch (err) {
      problems.push({ check: 'asl', resource: name, message: `${uri} is not JSON: ${(err as Error).message}` });
      continue;
    }
    const result = aslValidator(definition);
    if (!result.isValid) problems.push({ check: 'asl', resource: name, message: `${uri}: ${result.errorsText('; ')}` });
  }
  return problems;
}

/** Every function's esbuild entry points exist, and its Handler names the bundle of the first one. */
export function checkEntryPoints(template: Record<string, unknown>, root: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const [name, resource] of resourcesOf(template)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const build = (resource.Metadata?.BuildProperties ?? {}) as { EntryPoints?: unknown };
    const entryPoints = build.EntryPoints;
    if (resource.Metadata?.BuildMethod !== 'esbuild' || !Array.isArray(entryPoints) || entryPoints.length === 0) {
      problems.push({
        check: 'entry-points',
        resource: name,
        message: 'needs Metadata.BuildMethod esbuild with EntryPoints',
      });
      continue;
    }
    const codeUri = typeof resource.Properties?.CodeUri === 'string' ? resource.Properties.CodeUri : '.';
    for (const entry of entryPoints) {
      if (typeof entry !== 'string' || !existsSync(resolve(root, codeUri, entry))) {
        problems.push({
          check: 'entry-points',
          resource: name,
          message: `entry point ${String(entry)} does not exist`,
        });
      }
    }
    const handler = resource.Properties?.Handler;
    const first = String(entryPoints[0]).replace(/\.[cm]?[jt]s$/, '');
    if (typeof handler !== 'string' || !handler.startsWith(`${first}.`)) {
      problems.push({
        check: 'entry-points',
        resource: name,
        message: `Handler ${String(handler)} does not name the bundle of ${first}`,
      });
    }
  }
  return problems;
}

export function checkTemplateFile(path: string, options: { schemaDir?: string } = {}): TemplateProblem[] {
  const template = readCfnTemplate(path);
  const root = dirname(path);
  return [
    ...(options.schemaDir ? checkSchema(template, options.schemaDir) : []),
    ...checkStateMachines(template, root),
    ...checkEntryPoints(template, root),
  ];
}
