import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<string[]>();
let installed = false;

/** A metric data point a function emitted in CloudWatch embedded metric format. */
export interface EmbeddedMetric {
  namespace: string;
  name: string;
  value: number;
  unit?: string;
  dimensions: Record<string, string>;
  timestamp: number;
}

/**
 * Runs fn with what it writes to stdout and stderr kept in `lines` (its CloudWatch Logs stream)
 * instead of the terminal, for fn and everything it starts; other output is untouched.
 */
export function runWithLogCapture<T>(lines: string[], fn: () => T): T {
  installCapture();
  return storage.run(lines, fn);
}

function installCapture(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const lines = storage.getStore();
      if (!lines) return write(chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      lines.push(...text.split('\n').filter((l) => l.length > 0));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
}

/** The metrics in a function's log lines that use the embedded metric format (as CloudWatch extracts them). */
export function embeddedMetrics(lines: string[]): EmbeddedMetric[] {
  const out: EmbeddedMetric[] = [];
  for (const line of lines) {
    if (!line.includes('"_aws"')) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line);
    } catch {
      continue;
    }
    const aws = doc._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: {
            Namespace: string;
            Dimensions?: string[][];
            Metrics: { Name: string; Unit?: string }[];
          }[];
        }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const dimensions = Object.fromEntries((directive.Dimensions?.[0] ?? []).map((d) => [d, String(doc[d])]));
      for (const metric of directive.Metrics) {
        const raw = doc[metric.Name];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (typeof value !== 'number') continue;
          out.push({
            namespace: directive.Namespace,
            name: metric.Name,
            value,
            ...(metric.Unit ? { unit: metric.Unit } : {}),
            dimensions,
            timestamp: aws?.Timestamp ?? 0,
          });
        }
      }
    }
  }
  return out;
}
