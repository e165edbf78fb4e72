import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ResolverStateStore } from '../functions/adapters/resolver-state.js';
import { ConfigurationError, parseStoredNames, STORED_NAMES_SOURCE } from '../functions/core/resolver-rules/index.js';

// Stores the resolver reconciler's tracked names and static domains in the state table, beyond what
// the template's ResolverTrackedNames and ResolverStaticDomains parameters hold (800 characters each):
//
//   npm run resolver-names -- --table <StateTableName output> --group <GroupName> \
//     --tracked-names-file names.txt [--static-domains-file domains.txt]
//   npm run resolver-names -- --table ... --group ... --show
//
// A file lists one name per line (blank lines and # comments ignored). A list given replaces the
// stored one, a list not given is kept; both are validated first, and a bad name changes nothing. The next run of the reconciler
// follows them. Credentials and region come from the usual AWS SDK settings (AWS_PROFILE, AWS_REGION).

const usage =
  'usage: npm run resolver-names -- --table TABLE --group GROUP (--show | --tracked-names-file FILE [--static-domains-file FILE])';

function namesIn(file: string | undefined): string[] | undefined {
  if (file === undefined) return undefined;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      group: { type: 'string' },
      'tracked-names-file': { type: 'string' },
      'static-domains-file': { type: 'string' },
      show: { type: 'boolean', default: false },
    },
  });
  if (!values.table || !values.group) {
    console.error(`${usage}\n--table and --group are required`);
    return 2;
  }
  const store = new ResolverStateStore(values.table, values.group);
  if (values.show) {
    const names = parseStoredNames(await store.readStoredNames());
    console.log(JSON.stringify(names, null, 2));
    return 0;
  }
  const trackedNames = namesIn(values['tracked-names-file']);
  const staticDomains = namesIn(values['static-domains-file']);
  if (trackedNames === undefined && staticDomains === undefined) {
    console.error(`${usage}\ngive --tracked-names-file, --static-domains-file or --show`);
    return 2;
  }
  let names: { trackedNames: string[]; staticDomains: string[] };
  try {
    const stored = parseStoredNames(await store.readStoredNames());
    names = parseStoredNames({
      trackedNames: trackedNames ?? stored.trackedNames,
      staticDomains: staticDomains ?? stored.staticDomains,
    });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    console.error(`nothing stored: ${err.message}`);
    return 1;
  }
  await store.writeStoredNames(names, new Date().toISOString());
  console.log(
    `stored ${names.trackedNames.length} tracked names and ${names.staticDomains.length} static domains in the ${STORED_NAMES_SOURCE} of group ${values.group}`,
  );
  return 0;
}

process.exitCode = await main();
