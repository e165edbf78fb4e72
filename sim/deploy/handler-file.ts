import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { DeployError } from './intrinsics.js';

/**
 * The file and export a function's Handler names, found in its artifact root the way the Lambda
 * Node.js runtime finds them (aws-lambda-nodejs-runtime-interface-client, UserFunction): the handler
 * is `path/module.export[.nested]`; `..` is refused; the module is the path relative to the artifact
 * root, tried as written, then with `.js`, `.mjs` and `.cjs`. Bare package names (a handler in
 * node_modules) are not resolved here: the functions of this project never use them.
 */
export function resolveHandlerFile(
  artifactRoot: string,
  handler: string,
  where: string,
): { file: string; exportPath: string[] } {
  if (handler.includes('..')) {
    throw new DeployError(
      `${where}: Handler ${handler}: '..' is not allowed in a handler (Runtime.MalformedHandlerName)`,
    );
  }
  const name = basename(handler);
  const moduleRoot = handler.slice(0, handler.length - name.length);
  const match = /^([^.]*)\.(.*)$/.exec(name);
  if (!match?.[1] || !match[2]) {
    throw new DeployError(`${where}: Handler ${handler} is not module.export (Runtime.MalformedHandlerName)`);
  }
  const base = resolve(artifactRoot, moduleRoot, match[1]);
  const candidates = ['', '.js', '.mjs', '.cjs'].map((extension) => base + extension);
  const file = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (!file) {
    const relative = join(moduleRoot, match[1]).split(sep).join('/');
    throw new DeployError(
      `${where}: Handler ${handler}: no module ${relative}(.js|.mjs|.cjs) in its artifact root ${artifactRoot} (Runtime.ImportModuleError)`,
    );
  }
  return { file, exportPath: match[2].split('.') };
}
