import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleFunctions } from '../../scripts/bundle.js';
import { samBuildArtifacts } from '../../sim/deploy/artifacts.js';
import { readCfnTemplate } from '../../sim/deploy/cfn-yaml.js';
import { environmentSizes, LAMBDA_ENVIRONMENT_LIMIT } from './environment-checks.js';
import { formatFindings, iamFindings } from './iam-checks.js';

// The template as `sam build` leaves it, and as SAM translates it for CloudFormation, when the AWS
// SAM CLI is on PATH (npm run validate, CI beside ../shared); template.yaml itself otherwise, whose
// policies and environments sam build does not change.
const root = resolve(import.meta.dirname, '../..');
const fixtures = resolve(import.meta.dirname, '../fixtures/templates');
const samAvailable = spawnSync('sam', ['--version'], { encoding: 'utf8' }).status === 0;
if (!samAvailable) {
  console.warn(
    'SKIPPED: sam build byte comparison and the translated template IAM check (the AWS SAM CLI is not on PATH)',
  );
}

function sam(args: string[]): { stdout: string; stderr: string } {
  const run = spawnSync('sam', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SAM_CLI_TELEMETRY: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`sam ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

let workDir: string;
let builtDir: string;
let built: Record<string, unknown>;

/**
 * The project's own `sam build` output when it is newer than every source (as after `npm run validate`,
 * which CI runs first: the local deploy checks the same), so the suite does not build it twice.
 */
function freshSamBuild(): string | undefined {
  try {
    return samBuildArtifacts(resolve(root, 'template.yaml')) ? join(root, '.aws-sam', 'build') : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'cgw-sam-build-'));
  builtDir = join(workDir, 'build');
  if (samAvailable) {
    const fresh = freshSamBuild();
    if (fresh) builtDir = fresh;
    else sam(['build', '--build-dir', builtDir, '--cache-dir', join(workDir, 'cache')]);
    built = readCfnTemplate(join(builtDir, 'template.yaml'));
  } else {
    built = readCfnTemplate(resolve(root, 'template.yaml'));
  }
}, 300_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('IAM of the built template', () => {
  it('allows no mutating action on * or a whole-account pattern without a condition', () => {
    expect(formatFindings(iamFindings(built))).toBe('');
  });

  it.skipIf(!samAvailable)(
    'nor do the roles SAM generates from it (functions, state machines, rules, schedules)',
    () => {
      // Act
      const { stderr } = sam(['validate', '--debug', '--region', 'eu-west-2', '-t', join(builtDir, 'template.yaml')]);
      const text = stderr.slice(stderr.indexOf('Translated template is:\n') + 'Translated template is:\n'.length);
      const translated = parse(text.slice(0, text.search(/^\d{4}-\d\d-\d\d /m))) as Record<string, unknown>;
      const roles = Object.values(translated.Resources as Record<string, { Type: string }>).filter(
        (r) => r.Type === 'AWS::IAM::Role',
      );

      // Assess
      expect(roles.length).toBeGreaterThanOrEqual(8);
      expect(formatFindings(iamFindings(translated))).toBe('');
    },
    120_000,
  );

  it('reports the statements of a template that allows route, ENI and Resolver changes account-wide', () => {
    // Act
    const findings = iamFindings(readCfnTemplate(join(fixtures, 'iam-account-wide.yaml')));

    // Assess
    expect(findings.map((f) => `${f.resource}: ${f.problem}`)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub template, not a JS one
      'ApplyFunction: allows ec2:CreateRoute, ec2:ReplaceRoute on arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:route-table/* without a Condition',
      'ApplyFunction: allows route53resolver:CreateResolverRule, route53resolver:DeleteResolverRule on * without a Condition',
    ]);
  });
});

describe('environment of every function at the maximum configuration', () => {
  it(`stays under Lambda's ${LAMBDA_ENVIRONMENT_LIMIT} bytes`, () => {
    // Act
    const sizes = environmentSizes(built);
    const over = sizes.filter((s) => s.bytes >= LAMBDA_ENVIRONMENT_LIMIT).map((s) => `${s.function}: ${s.bytes} bytes`);

    // Assess
    expect(sizes.length).toBeGreaterThanOrEqual(8);
    expect(over).toEqual([]);
  });

  it("counts a parameter without MaxLength at CloudFormation's 4,096 bytes, over the limit", () => {
    // Act
    const [size] = environmentSizes(readCfnTemplate(join(fixtures, 'environment-unbounded.yaml')));

    // Assess
    expect(size?.bytes).toBeGreaterThan(LAMBDA_ENVIRONMENT_LIMIT);
  });
});

describe.skipIf(!samAvailable)('sam build and the project bundler', () => {
  it('produce the same .mjs bytes for every function', async () => {
    // Prepare
    const ours = await bundleFunctions(resolve(root, 'template.yaml'), join(workDir, 'ours'));
    const resources = built.Resources as Record<string, { Properties: { CodeUri: string; Handler: string } }>;

    // Act
    const different = ours.filter((bundle) => {
      const samFile = join(builtDir, resources[bundle.name]!.Properties.CodeUri, 'index.mjs');
      return !readFileSync(samFile).equals(readFileSync(bundle.outFile));
    });

    // Assess
    expect(ours.length).toBeGreaterThanOrEqual(8);
    expect(different.map((b) => b.name)).toEqual([]);
  }, 120_000);
});
