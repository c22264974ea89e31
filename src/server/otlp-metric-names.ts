/**
 * The metric names in an OpenTelemetry MetricsData message (the payload of KIP-714's
 * PushTelemetry), read straight off the protobuf wire format: MetricsData.resource_metrics (1)
 * > ResourceMetrics.scope_metrics (2) > ScopeMetrics.metrics (2) > Metric.name (1). Enough to
 * show what a client pushed without a protobuf library. Throws on malformed input.
 */
const MAX_NAMES = 1000;

/** Each field of a message: its number, and its bytes when length-delimited. */
function* fields(buf: Buffer): Generator<{ field: number; bytes?: Buffer }> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length || shift > 49) throw new RangeError('bad protobuf varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        varint();
        yield { field };
        break;
      case 1:
        pos += 8;
        yield { field };
        break;
      case 2: {
        const len = varint();
        if (pos + len > buf.length) throw new RangeError('protobuf field past the end');
        yield { field, bytes: buf.subarray(pos, pos + len) };
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        yield { field };
        break;
      default:
        throw new RangeError(`protobuf wire type ${tag & 7}`);
    }
    if (pos > buf.length) throw new RangeError('protobuf field past the end');
  }
}

const nested = (buf: Buffer, field: number): Buffer[] => [...fields(buf)].filter((f) => f.field === field && f.bytes).map((f) => f.bytes!);

export function metricNames(metricsData: Buffer): string[] {
  const names = new Set<string>();
  for (const resource of nested(metricsData, 1)) {
    for (const scope of nested(resource, 2)) {
      for (const metric of nested(scope, 2)) {
        const name = nested(metric, 1)[0];
        if (name !== undefined && names.size < MAX_NAMES) names.add(name.toString('utf8'));
      }
    }
  }
  return [...names].sort();
}
