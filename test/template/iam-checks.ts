/**
 * Least privilege, checked on a template's IAM: every statement that allows a mutating action on
 * `*` or on a whole-account pattern (`...:route-table/*`, `...:resolver-rule/*`) must carry a
 * Condition. Statements come from SAM functions' and state machines' Policies and from IAM roles
 * and policies (a template SAM has translated); both branches of an Fn::If count.
 */

export interface IamFinding {
  resource: string;
  statement: unknown;
  problem: string;
}

type Statement = { Sid?: string; Effect?: string; Action?: unknown; Resource?: unknown; Condition?: unknown };

/** Read-only verbs (IAM access levels List and Read); every other action counts as mutating. */
const READ_ONLY = /^(Describe|List|Get|BatchGet|Query|Scan|Search|Lookup|Check)/;

/**
 * SAM policy templates whose statements are scoped to the resource named in their arguments (their
 * expansion is checked on the translated template when the SAM CLI is available).
 */
const SCOPED_POLICY_TEMPLATES = new Set([
  'LambdaInvokePolicy',
  'DynamoDBCrudPolicy',
  'DynamoDBReadPolicy',
  'SNSPublishMessagePolicy',
  'EventBridgePutEventsPolicy',
  'SQSSendMessagePolicy',
]);

/**
 * AWS managed policies SAM attaches to the function roles it generates, accepted as they are (the
 * README's IAM table lists them): writing the function's own logs (Lambda's basic execution role),
 * X-Ray segments (PutTraceSegments and PutTelemetryRecords take no resource), and, for the function
 * in a VPC, the network interfaces Lambda creates in its subnets (Lambda's VPC execution role; its
 * ENI actions are on `*`, the residual wide permission of the stack).
 */
export const ACCEPTED_MANAGED_POLICIES = new Set([
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
]);

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** An Fn::If gives both branches; AWS::NoValue gives nothing. */
function branches(value: unknown): unknown[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ('Fn::If' in record) {
      const [, whenTrue, whenFalse] = record['Fn::If'] as unknown[];
      return [...branches(whenTrue), ...branches(whenFalse)];
    }
    if (record.Ref === 'AWS::NoValue') return [];
  }
  return [value];
}

/** A resource's text as far as it can be read: a string, or the template of an Fn::Sub. */
function resourceText(resource: unknown): string | undefined {
  if (typeof resource === 'string') return resource;
  const sub = (resource as Record<string, unknown> | undefined)?.['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  return undefined; // Ref, GetAtt: one resource of the stack
}

/** `*`, or an ARN whose resource part is only a wildcard: every resource of a type in the account. */
export function isWholeAccount(resource: unknown): boolean {
  const text = resourceText(resource);
  if (text === undefined) return false;
  if (text === '*') return true;
  // ${AWS::Partition} and the like hold colons of their own: each stands for one value here.
  const resourcePart = text
    .replace(/\$\{[^}]*\}/g, 'x')
    .split(':')
    .slice(5)
    .join(':');
  return resourcePart === '*' || /^[A-Za-z0-9-]+[/:]\*$/.test(resourcePart);
}

function isMutating(action: unknown): boolean {
  if (typeof action !== 'string') return true;
  const verb = action.split(':')[1] ?? '';
  return verb.includes('*') || !READ_ONLY.test(verb);
}

function checkStatements(resource: string, statements: unknown, findings: IamFinding[]): void {
  for (const candidate of list(statements).flatMap(branches)) {
    const statement = candidate as Statement;
    if (statement.Effect !== 'Allow') continue;
    const mutating = list(statement.Action).filter(isMutating);
    const wide = list(statement.Resource).flatMap(branches).filter(isWholeAccount);
    if (mutating.length && wide.length && statement.Condition === undefined) {
      findings.push({
        resource,
        statement,
        problem: `allows ${mutating.join(', ')} on ${wide.map((w) => resourceText(w)).join(', ')} without a Condition`,
      });
    }
  }
}

/** Every finding of the template: statements, unknown policy templates, unknown managed policies. */
export function iamFindings(template: Record<string, unknown>): IamFinding[] {
  const findings: IamFinding[] = [];
  const resources = (template.Resources ?? {}) as Record<
    string,
    { Type?: string; Properties?: Record<string, unknown> }
  >;
  for (const [name, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Serverless::Function':
      case 'AWS::Serverless::StateMachine':
        for (const policy of list(properties.Policies).flatMap(branches)) {
          if (typeof policy === 'string') {
            if (!ACCEPTED_MANAGED_POLICIES.has(policy)) {
              findings.push({
                resource: name,
                statement: policy,
                problem: `managed policy ${policy} cannot be checked`,
              });
            }
            continue;
          }
          const entries = Object.entries(policy as Record<string, unknown>);
          for (const [key, value] of entries) {
            if (key === 'Statement') checkStatements(name, value, findings);
            else if (!SCOPED_POLICY_TEMPLATES.has(key)) {
              findings.push({
                resource: name,
                statement: policy,
                problem: `policy template ${key} is not known to be scoped`,
              });
            }
          }
        }
        break;
      case 'AWS::IAM::Role':
        for (const policy of list(properties.Policies).flatMap(branches)) {
          checkStatements(
            name,
            (policy as { PolicyDocument?: { Statement?: unknown } }).PolicyDocument?.Statement,
            findings,
          );
        }
        for (const arn of list(properties.ManagedPolicyArns)) {
          if (typeof arn !== 'string' || !ACCEPTED_MANAGED_POLICIES.has(arn)) {
            findings.push({
              resource: name,
              statement: arn,
              problem: `managed policy ${JSON.stringify(arn)} cannot be checked`,
            });
          }
        }
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        checkStatements(name, (properties.PolicyDocument as { Statement?: unknown } | undefined)?.Statement, findings);
        break;
    }
  }
  return findings;
}

export const formatFindings = (findings: IamFinding[]): string =>
  findings.map((f) => `${f.resource}: ${f.problem}\n  ${JSON.stringify(f.statement)}`).join('\n');
