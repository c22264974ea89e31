/** share.auto.offset.reset's by_duration takes java.time.Duration's format. */
import { describe, expect, it } from 'vitest';
import { parseIsoDurationMs } from '../../../src/coordinator/share/share-group-settings.js';

describe('parseIsoDurationMs', () => {
  it('reads days, hours, minutes and fractional seconds, and refuses what Duration.parse refuses', () => {
    expect(parseIsoDurationMs('PT1H')).toBe(3_600_000);
    expect(parseIsoDurationMs('P1DT2M')).toBe(86_400_000 + 120_000);
    expect(parseIsoDurationMs('PT1.5S')).toBe(1500);
    expect(parseIsoDurationMs('-PT10M')).toBe(-600_000);
    for (const bad of ['', 'P', 'PT', '1H', 'PT1X', 'P1Y']) expect(parseIsoDurationMs(bad)).toBeUndefined();
  });
});
