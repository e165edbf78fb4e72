import { AsyncLocalStorage } from 'node:async_hooks';

/** Variables one invocation sees on top of the process's own; `undefined` marks a deleted variable. */
type Overlay = Map<string, string | undefined>;

const storage = new AsyncLocalStorage<Overlay>();
let installed = false;

/**
 * Runs fn with `process.env` showing the given variables on top of the real environment, for fn and
 * everything it starts (promises, timers, SDK calls), and for nothing else.
 *
 * Why an AsyncLocalStorage-backed proxy and not swapping `process.env` around each call: handlers are
 * async, and two invocations of different functions overlap in time (a Map state, parallel drills), so
 * a swapped global would leak one function's variables into the other. The proxy resolves every read
 * against the overlay of the async context it runs in; outside any invocation it is the real
 * environment, reads and writes alike. Writes inside an invocation stay in that invocation.
 */
export function runWithEnv<T>(variables: Record<string, string>, fn: () => T): T {
  installEnvProxy();
  return storage.run(new Map(Object.entries(variables)), fn);
}

/**
 * Host variables a function still sees, as a Lambda execution environment has its own PATH, locale and
 * temp dir; everything else of the host (a test runner's settings, the operator's AWS profile) is
 * invisible to the function, as it would be in Lambda.
 */
const HOST_VARIABLES = new Set([
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_ENV',
]);

function installEnvProxy(): void {
  if (installed) return;
  installed = true;
  const base = process.env;
  const overlay = () => storage.getStore();
  const read = (key: string): string | undefined => {
    const layer = overlay();
    if (!layer) return base[key];
    return layer.has(key) ? layer.get(key) : HOST_VARIABLES.has(key) ? base[key] : undefined;
  };
  const keys = (): string[] => {
    const layer = overlay();
    if (!layer) return Object.keys(base);
    const all = new Set(Object.keys(base).filter((key) => HOST_VARIABLES.has(key)));
    for (const [key, value] of layer) {
      if (value === undefined) all.delete(key);
      else all.add(key);
    }
    return [...all];
  };
  process.env = new Proxy(base, {
    get: (_target, key) => (typeof key === 'string' ? read(key) : undefined),
    set: (_target, key, value) => {
      if (typeof key !== 'string') return false;
      const layer = overlay();
      // Like the real process.env, every value is stored as a string.
      if (layer) layer.set(key, String(value));
      else base[key] = String(value);
      return true;
    },
    deleteProperty: (_target, key) => {
      if (typeof key !== 'string') return true;
      const layer = overlay();
      if (layer) layer.set(key, undefined);
      else delete base[key];
      return true;
    },
    has: (_target, key) => typeof key === 'string' && read(key) !== undefined,
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_target, key) => {
      if (typeof key !== 'string') return undefined;
      const value = read(key);
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
  });
}
