import { describe, expect, it } from 'vitest';
import { NO_VERSIONS, contains, includes, intersect, isEmpty, parseVersions, versionCondition } from '../../../scripts/gen/versions.js';

describe('parseVersions', () => {
  it('reads the four forms of Kafka version ranges', () => {
    expect(parseVersions('3')).toEqual({ min: 3, max: 3 });
    expect(parseVersions('3+')).toEqual({ min: 3, max: Infinity });
    expect(parseVersions('0-5')).toEqual({ min: 0, max: 5 });
    expect(parseVersions(' 2-2 ')).toEqual({ min: 2, max: 2 });
    expect(parseVersions('none')).toBe(NO_VERSIONS);
    expect(isEmpty(parseVersions('none'))).toBe(true);
  });

  it('falls back when the text is missing', () => {
    expect(parseVersions(undefined)).toBe(NO_VERSIONS);
    expect(parseVersions(undefined, { min: 4, max: 9 })).toEqual({ min: 4, max: 9 });
  });

  it.each(['', '+', '3-', '-3', 'a', '1.5', '5-3', '3++', '1-2-3', '01x'])('rejects %j', (text) => {
    expect(() => parseVersions(text)).toThrow(/bad version range/);
  });
});

describe('range operations', () => {
  it('intersect', () => {
    expect(intersect({ min: 0, max: 5 }, { min: 3, max: Infinity })).toEqual({ min: 3, max: 5 });
    expect(intersect({ min: 0, max: 2 }, { min: 3, max: Infinity })).toBe(NO_VERSIONS);
    expect(intersect({ min: 4, max: 4 }, { min: 0, max: 10 })).toEqual({ min: 4, max: 4 });
    expect(intersect(NO_VERSIONS, { min: 0, max: Infinity })).toBe(NO_VERSIONS);
  });

  it('contains and includes', () => {
    expect(contains({ min: 0, max: 9 }, { min: 2, max: 9 })).toBe(true);
    expect(contains({ min: 0, max: 9 }, { min: 2, max: 10 })).toBe(false);
    expect(contains({ min: 3, max: 3 }, NO_VERSIONS)).toBe(true);
    expect(includes({ min: 2, max: Infinity }, 1000)).toBe(true);
    expect(includes({ min: 2, max: 5 }, 1)).toBe(false);
    expect(includes(NO_VERSIONS, 0)).toBe(false);
    expect(includes(NO_VERSIONS, 1)).toBe(false);
  });
});

describe('versionCondition simplifies against the valid versions', () => {
  const valid = { min: 0, max: 9 };
  it.each([
    ['0+', 'true'],
    ['0-9', 'true'],
    ['0-20', 'true'],
    ['none', 'false'],
    ['10+', 'false'],
    ['3+', 'version >= 3'],
    ['0-4', 'version <= 4'],
    ['2-4', 'version >= 2 && version <= 4'],
    ['5', 'version === 5'],
    ['9+', 'version >= 9'],
    ['0', 'version <= 0'],
  ])('%s within 0-9 -> %s', (text, cond) => {
    expect(versionCondition(parseVersions(text), valid)).toBe(cond);
  });

  it('uses the name it is given and the narrower "within"', () => {
    expect(versionCondition(parseVersions('3+'), { min: 3, max: 7 })).toBe('true');
    expect(versionCondition(parseVersions('4+'), { min: 3, max: 7 }, 'v')).toBe('v >= 4');
    expect(versionCondition(parseVersions('1-3'), { min: 3, max: 7 })).toBe('version <= 3');
  });

  it('the condition it prints means what the range means', () => {
    for (const text of ['0+', '3+', '0-4', '2-4', '5', 'none', '12+']) {
      const r = parseVersions(text);
      const cond = versionCondition(r, valid);
      const f = new Function('version', `return ${cond};`) as (v: number) => boolean;
      for (let v = valid.min; v <= valid.max; v++) expect(f(v), `${text} at ${v}`).toBe(includes(r, v));
    }
  });
});
