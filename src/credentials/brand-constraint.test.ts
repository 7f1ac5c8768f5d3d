import { describe, expect, it } from 'vitest';
import { brandConstraint } from './brand-constraint.js';

const derive = (url: string) => (brandConstraint.deriveConstraint as (request: { url: string }) => unknown)({ url });

describe('the brand router constraint', () => {
  it('names the catalogue slug of the first path segment, as `{brand}` is matched', () => {
    expect(derive('/niu/credentials')).toBe('niu');
    expect(derive('/NIU/credentials/01F6Z8N4V2Q3R5T7W9X1Y3Z5A7')).toBe('niu');
    expect(derive('/MERCEDES_BENZ/credentials?verify=true')).toBe('mercedes-benz');
    expect(derive('/jifeline/credentials')).toBe('openobd');
    expect(derive('/N%49U/credentials')).toBe('niu');
  });

  it('derives nothing for a segment that names no brand, or does not decode', () => {
    expect(derive('/volkswagen/credentials')).toBeUndefined();
    expect(derive('/credentials')).toBeUndefined();
    expect(derive('/%E0%A4%A/credentials')).toBeUndefined();
    expect(derive('/')).toBeUndefined();
  });
});
