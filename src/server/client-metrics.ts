/**
 * Client metrics subscriptions (KIP-714): the CLIENT_METRICS config resources, each naming the
 * metrics it wants (`metrics`, prefixes; "*" for all), how often (`interval.ms`) and from
 * which clients (`match`, selector=regex pairs). Whatever stores CLIENT_METRICS configs calls
 * set()/delete() here; ListConfigResources lists the names, and GetTelemetrySubscriptions /
 * PushTelemetry read them.
 */
export interface ClientMetricsSubscription {
  readonly metrics: readonly string[];
  readonly intervalMs: number;
  readonly match: readonly string[];
}

export class ClientMetricsSubscriptions {
  readonly #byName = new Map<string, ClientMetricsSubscription>();

  set(name: string, subscription: ClientMetricsSubscription): void {
    this.#byName.set(name, subscription);
  }

  delete(name: string): void {
    this.#byName.delete(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  get(name: string): ClientMetricsSubscription | undefined {
    return this.#byName.get(name);
  }
}
