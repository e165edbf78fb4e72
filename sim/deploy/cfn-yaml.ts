import { readFileSync } from 'node:fs';
import { type CollectionTag, parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

/** The CloudFormation short-form tags, and the long form each becomes. */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  Length: 'Fn::Length',
  ToJsonString: 'Fn::ToJsonString',
};

function longForm(tag: string, value: unknown): Record<string, unknown> {
  const key = INTRINSICS[tag]!;
  // `!GetAtt Resource.Attribute` is the one short form whose scalar splits into a list.
  if (key === 'Fn::GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { [key]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [key]: value };
}

const customTags = Object.keys(INTRINSICS).flatMap((tag): (ScalarTag | CollectionTag)[] => [
  { tag: `!${tag}`, resolve: (value: string) => longForm(tag, value) },
  {
    tag: `!${tag}`,
    collection: 'seq',
    resolve: (seq) => longForm(tag, (seq as YAMLSeq).toJSON()),
  } as CollectionTag,
  {
    tag: `!${tag}`,
    collection: 'map',
    resolve: (map) => longForm(tag, (map as YAMLMap).toJSON()),
  } as CollectionTag,
]);

export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

/** Parses a CloudFormation/SAM YAML template, turning `!Ref x` into `{ Ref: 'x' }` and the like. */
export function parseCfnYaml(text: string, file = 'template.yaml'): Record<string, unknown> {
  const doc = parseDocument(text, { customTags, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TemplateParseError(`${file}: ${doc.errors.map((e) => e.message).join('\n')}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TemplateParseError(`${file}: a template must be a mapping at the top level`);
  }
  return value as Record<string, unknown>;
}

/** Parsed templates by path and text: a drill deploys the same template once per scenario. */
const parsed = new Map<string, Record<string, unknown>>();
const PARSED_KEPT = 16;

/** Reads and parses a template file; each caller gets a copy of its own to change. */
export function readCfnTemplate(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const key = `${path}\0${text}`;
  let template = parsed.get(key);
  if (!template) {
    template = parseCfnYaml(text, path);
    if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(key, template);
  }
  return structuredClone(template);
}
