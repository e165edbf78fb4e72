import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleFunctions, formatBundleTable } from './bundle.js';

// Bundles every Lambda function of template.yaml into dist/<LogicalId>/, as `sam build` would.
const root = resolve(import.meta.dirname, '..');
const outDir = resolve(root, 'dist');
rmSync(outDir, { recursive: true, force: true });
const bundles = await bundleFunctions(resolve(root, 'template.yaml'), outDir);
if (bundles.length === 0) console.log('template.yaml declares no esbuild functions yet.');
else console.log(formatBundleTable(bundles));
