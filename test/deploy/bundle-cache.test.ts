import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedBundles } from '../../sim/deploy/bundle-cache.js';

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/hello
      Handler: index.handler
      Runtime: nodejs22.x
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Format: esm
        OutExtension: [".js=.mjs"]
        Target: es2023
        EntryPoints: [index.ts]
`;

describe('bundle cache of the local deploy', () => {
  let dir: string;
  let cacheDir: string;
  const template = () => join(dir, 'template.yaml');
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const bundle = async () => {
    const [hello] = await cachedBundles(template(), cacheDir);
    if (!hello) throw new Error('HelloFunction was not bundled');
    return { ...hello, text: readFileSync(hello.outFile, 'utf8'), mtimeMs: statSync(hello.outFile).mtimeMs };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cgw-bundle-cache-'));
    cacheDir = join(dir, 'dist', 'cache');
    write('template.yaml', TEMPLATE);
    write(
      'functions/hello/index.ts',
      "import { greeting } from '../shared/greeting';\nexport const handler = async () => greeting;\n",
    );
    write('functions/shared/greeting/index.ts', "export const greeting = 'hello from the folder';\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reuses a bundle whose inputs are unchanged, from another call as from another process', async () => {
    // Prepare
    const first = await bundle();

    // Act
    const again = await bundle();

    // Assess: the same file, not written again
    expect(again.outFile).toBe(first.outFile);
    expect(again.mtimeMs).toBe(first.mtimeMs);
    expect(again.text).toContain('hello from the folder');
    expect(again.inputs.some((input) => input.endsWith(join('shared', 'greeting', 'index.ts')))).toBe(true);
  });

  it('bundles again when a file it was built from changes', async () => {
    // Prepare
    const first = await bundle();
    write('functions/shared/greeting/index.ts', "export const greeting = 'hello, changed';\n");

    // Act
    const changed = await bundle();

    // Assess: a new folder with the new code; the old bundle left as it was for whoever still runs it
    expect(changed.outFile).not.toBe(first.outFile);
    expect(changed.text).toContain('hello, changed');
    expect(readFileSync(first.outFile, 'utf8')).toContain('hello from the folder');
  });

  it('bundles again when a new file changes what an import resolves to', async () => {
    // Prepare
    await bundle();
    write('functions/shared/greeting.ts', "export const greeting = 'hello from the file';\n");

    // Act
    const resolved = await bundle();

    // Assess: esbuild prefers greeting.ts over greeting/index.ts
    expect(resolved.text).toContain('hello from the file');
  });

  it("bundles again when the function's build properties change", async () => {
    // Prepare
    const first = await bundle();
    write('template.yaml', TEMPLATE.replace('Target: es2023', 'Target: es2023\n        Minify: false'));

    // Act
    const unminified = await bundle();

    // Assess
    expect(unminified.outFile).not.toBe(first.outFile);
    expect(unminified.text.length).toBeGreaterThan(first.text.length);
  });

  it('gives each function built in a shared run only its own inputs, and rebuilds only the one whose input changed', async () => {
    // Prepare: a second function with the same build properties, importing a module of its own
    write(
      'template.yaml',
      `${TEMPLATE}  ByeFunction:\n${TEMPLATE.split('HelloFunction:\n')[1]!.replace('functions/hello', 'functions/bye')}`,
    );
    write(
      'functions/bye/index.ts',
      "import { farewell } from './farewell';\nexport const handler = async () => farewell;\n",
    );
    write('functions/bye/farewell.ts', "export const farewell = 'goodbye';\n");
    const [hello, bye] = await cachedBundles(template(), cacheDir);

    // Act
    write('functions/bye/farewell.ts', "export const farewell = 'goodbye, changed';\n");
    const [helloAgain, byeAgain] = await cachedBundles(template(), cacheDir);

    // Assess: each function's inputs are what it imports, not the run's; only Bye was built again
    const names = (inputs: string[]) => inputs.map((input) => input.slice(dir.length + 1)).sort();
    expect(names(hello!.inputs)).toEqual(['functions/hello/index.ts', 'functions/shared/greeting/index.ts']);
    expect(names(bye!.inputs)).toEqual(['functions/bye/farewell.ts', 'functions/bye/index.ts']);
    expect(helloAgain!.outFile).toBe(hello!.outFile);
    expect(byeAgain!.outFile).not.toBe(bye!.outFile);
    expect(readFileSync(byeAgain!.outFile, 'utf8')).toContain('goodbye, changed');
  });
});
