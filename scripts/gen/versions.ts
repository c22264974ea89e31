/** Kafka's version range syntax: "3", "3+", "3-5" or "none". `max` is Infinity for "N+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

export function parseVersions(text: string | undefined, fallback: VersionRange = NO_VERSIONS): VersionRange {
  if (text === undefined) return fallback;
  const s = text.trim();
  if (s === 'none') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) {
    const r = { min: Number(m[1]), max: Number(m[2]) };
    if (r.min > r.max) throw new Error(`bad version range ${text}`);
    return r;
  }
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`bad version range ${JSON.stringify(text)}`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.min > r.max;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const r = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return isEmpty(r) ? NO_VERSIONS : r;
}

export function contains(outer: VersionRange, inner: VersionRange): boolean {
  return isEmpty(inner) || (outer.min <= inner.min && inner.max <= outer.max);
}

export function includes(r: VersionRange, v: number): boolean {
  return r.min <= v && v <= r.max;
}

/**
 * A TypeScript condition on `version` for `r`, simplified knowing that `version` is
 * already within `within` (the message's valid versions): "true", "false" or a comparison.
 */
export function versionCondition(r: VersionRange, within: VersionRange, v = 'version'): string {
  const eff = intersect(r, within);
  if (isEmpty(eff)) return 'false';
  const needMin = eff.min > within.min;
  const needMax = eff.max < within.max;
  if (needMin && needMax) return eff.min === eff.max ? `${v} === ${eff.min}` : `${v} >= ${eff.min} && ${v} <= ${eff.max}`;
  if (needMin) return `${v} >= ${eff.min}`;
  if (needMax) return `${v} <= ${eff.max}`;
  return 'true';
}
