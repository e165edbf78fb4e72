/**
 * A function's environment at the template's maximum configuration, measured as Lambda measures it:
 * Lambda refuses variables whose JSON (`{"NAME":"value",...}`, the "String measured" of its error)
 * exceeds 4 KB (inferred: 4,096 bytes of UTF-8). Each parameter takes its longest value: MaxLength
 * characters (CloudFormation's own limit, 4,096 bytes, when the template sets none), the longest of
 * AllowedValues, the widest of MinValue/MaxValue for a Number.
 */

export const LAMBDA_ENVIRONMENT_LIMIT = 4096;
const CFN_PARAMETER_VALUE_LIMIT = 4096;
/** Longest names AWS gives: a DynamoDB table name, and a topic ARN in the longest partition and region. */
const LONGEST_REF: Record<string, number> = {
  'AWS::DynamoDB::Table': 255,
  'AWS::SNS::Topic': 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:'.length + 256,
  'AWS::SQS::Queue': 'https://sqs.us-gov-west-1.amazonaws.com/123456789012/'.length + 80,
  'AWS::Serverless::StateMachine': 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:'.length + 80,
};
const PSEUDO: Record<string, number> = {
  'AWS::Region': 'us-gov-west-1'.length,
  'AWS::AccountId': 12,
  'AWS::Partition': 'aws-us-gov'.length,
  'AWS::StackName': 128,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length,
};

type Parameter = { Type?: string; MaxLength?: number; AllowedValues?: unknown[]; MinValue?: number; MaxValue?: number };
type Resource = { Type?: string; Properties?: Record<string, unknown> };

export interface EnvironmentSize {
  function: string;
  bytes: number;
  variables: Record<string, string>;
}

function longestParameter(name: string, p: Parameter): number {
  if (p.AllowedValues?.length) return Math.max(...p.AllowedValues.map((v) => String(v).length));
  if (p.Type === 'Number' && p.MaxValue !== undefined && p.MinValue !== undefined) {
    return Math.max(String(p.MaxValue).length, String(p.MinValue).length);
  }
  if (p.Type === 'Number') return CFN_PARAMETER_VALUE_LIMIT;
  if (p.Type && p.Type !== 'String') throw new Error(`parameter ${name}: type ${p.Type} is not measured`);
  return p.MaxLength ?? CFN_PARAMETER_VALUE_LIMIT;
}

/** The longest text a value can take in the template; 'x' stands for any character. */
function longest(value: unknown, template: Record<string, unknown>, where: string): string {
  const parameters = (template.Parameters ?? {}) as Record<string, Parameter>;
  const resources = (template.Resources ?? {}) as Record<string, Resource>;
  const ref = (name: string): string => {
    if (name in PSEUDO) return 'x'.repeat(PSEUDO[name]!);
    const parameter = parameters[name];
    if (parameter) return 'x'.repeat(longestParameter(name, parameter));
    const type = resources[name]?.Type ?? '';
    if (type in LONGEST_REF) return 'x'.repeat(LONGEST_REF[type]!);
    throw new Error(`${where}: Ref ${name} (${type || 'undeclared'}) has no known longest value`);
  };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const [fn, args] = Object.entries((value ?? {}) as Record<string, unknown>)[0] ?? [];
  switch (fn) {
    case 'Ref':
      return ref(String(args));
    case 'Fn::Sub': {
      const text = typeof args === 'string' ? args : (args as unknown[])[0];
      if (typeof text !== 'string' || (Array.isArray(args) && args[1]))
        throw new Error(`${where}: Fn::Sub with variables is not measured`);
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => ref(name));
    }
    case 'Fn::If': {
      const [, a, b] = args as unknown[];
      const [x, y] = [longest(a, template, where), longest(b, template, where)];
      return x.length >= y.length ? x : y;
    }
    default:
      throw new Error(`${where}: ${fn ?? JSON.stringify(value)} is not measured`);
  }
}

/** Each function's environment (Globals merged, as SAM merges them) at the maximum configuration. */
export function environmentSizes(template: Record<string, unknown>): EnvironmentSize[] {
  const globals = ((template.Globals as Record<string, Record<string, unknown>> | undefined)?.Function ?? {}) as Record<
    string,
    unknown
  >;
  const variablesOf = (props: Record<string, unknown>) =>
    ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
      string,
      unknown
    >;
  const sizes: EnvironmentSize[] = [];
  for (const [name, resource] of Object.entries((template.Resources ?? {}) as Record<string, Resource>)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const merged = { ...variablesOf(globals), ...variablesOf(resource.Properties ?? {}) };
    const variables = Object.fromEntries(
      Object.entries(merged).map(([key, value]) => [
        key,
        longest(value, template, `${name}.Environment.Variables.${key}`),
      ]),
    );
    sizes.push({ function: name, bytes: Buffer.byteLength(JSON.stringify(variables), 'utf8'), variables });
  }
  return sizes;
}
