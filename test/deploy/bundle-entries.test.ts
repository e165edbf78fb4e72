import { describe, expect, it } from 'vitest';
import { commonFolder } from '../../scripts/bundle.js';

// Where a function's entry points are written from (esbuild's default outbase: their common folder).
describe('the entry points of a function', () => {
  it('are written relative to the deepest folder holding all of them', () => {
    // Act and Assess
    expect(commonFolder(['/p/functions/a/index.ts'])).toBe('/p/functions/a');
    expect(commonFolder(['/p/functions/a/index.ts', '/p/functions/a/jobs/run.ts'])).toBe('/p/functions/a');
    expect(commonFolder(['/p/functions/a/index.ts', '/p/functions/b/index.ts'])).toBe('/p/functions');
    expect(commonFolder(['/p/functions/ab/index.ts', '/p/functions/a/index.ts'])).toBe('/p/functions');
  });

  it('have the root as their folder when nothing deeper holds them all (this looped for ever)', () => {
    // Act and Assess
    expect(commonFolder(['/a/index.ts', '/b/index.ts'])).toBe('/');
  });
});
