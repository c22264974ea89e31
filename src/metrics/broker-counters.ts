/**
 * The counters the request path bumps. Plain numbers in objects made once per API key or
 * topic, so counting a request allocates nothing; everything else /metrics reports is read
 * from broker state when it is scraped (src/http/metrics).
 *
 * A leaf beside config: the request layer bumps these, the HTTP side reads them.
 */

/** Upper bounds (ms) of the request latency buckets; one more bucket holds the rest (+Inf). */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

export class ApiCounters {
  requests = 0;
  /** Per bucket (not cumulative); the last one is above every bound. */
  readonly latencyBuckets = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  latencySumMs = 0;
  /** Error code to count: whole-request failures and partition errors of Produce and Fetch. */
  readonly errors = new Map<number, number>();

  observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.latencyBuckets[i]!++;
    this.latencySumMs += ms;
  }

  error(code: number): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}

export class TopicCounters {
  bytesIn = 0;
  messagesIn = 0;
  bytesOut = 0;
  produceRequests = 0;
  failedProduceRequests = 0;
  fetchRequests = 0;
  failedFetchRequests = 0;
}

export class BrokerCounters {
  readonly #apis: Array<ApiCounters | undefined> = [];
  readonly #topics = new Map<string, TopicCounters>();
  /** Produce batches refused before the append, by error code (CORRUPT_MESSAGE, INVALID_RECORD, ...). */
  readonly produceValidationFailures = new Map<number, number>();
  /** Records refused because a compacted topic needs keys (Kafka's NoKeyCompactedTopicRecordsPerSec). */
  noKeyCompactedTopicRecords = 0;
  readonly startedAtMs = Date.now();

  /** Counters of an API the broker serves: the dispatcher asks only for registered keys, so these stay bounded. */
  api(apiKey: number): ApiCounters {
    return (this.#apis[apiKey] ??= new ApiCounters());
  }

  apis(): Array<[number, ApiCounters]> {
    const out: Array<[number, ApiCounters]> = [];
    this.#apis.forEach((c, key) => c !== undefined && out.push([key, c]));
    return out;
  }

  /** Counters of an existing topic (callers look the topic up first, so names come from the broker, not the wire). */
  topic(name: string): TopicCounters {
    let c = this.#topics.get(name);
    if (c === undefined) this.#topics.set(name, (c = new TopicCounters()));
    return c;
  }

  /**
   * Every topic's counters, after dropping those of topics that no longer exist, so deleted
   * topics do not pile up (a recreated topic starts from zero, as its Kafka MBeans do).
   */
  topics(exists: (name: string) => boolean): ReadonlyMap<string, TopicCounters> {
    for (const name of this.#topics.keys()) if (!exists(name)) this.#topics.delete(name);
    return this.#topics;
  }

  produceValidationFailure(code: number): void {
    this.produceValidationFailures.set(code, (this.produceValidationFailures.get(code) ?? 0) + 1);
  }
}
