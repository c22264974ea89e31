/**
 * SkiffContainer: Skiff in a container for tests, with testcontainers-node (an optional peer
 * dependency of this package). Published as "skiff/testcontainers".
 *
 *   const skiff = await new SkiffContainer().start();      // image "skiff:latest" by default
 *   const kafka = new Kafka({ brokers: [skiff.getBootstrapServers()] });
 *   ...
 *   await skiff.stop();
 *
 * Kafka clients connect to the address the broker advertises, so Skiff must know the host port
 * the runtime mapped 9092 to, which exists only once the container runs. The entrypoint
 * therefore waits for its start arguments in a file; once the container runs and its ports are
 * known (containerStarting), they are written there, advertised.listeners included.
 */
import {
  AbstractStartedContainer,
  BoundPorts,
  GenericContainer,
  getContainerRuntimeClient,
  Wait,
  type InspectResult,
  type StartedTestContainer,
} from 'testcontainers';

export const SKIFF_PORT = 9092;
const ARGS_FILE = '/tmp/skiff.args';

export class SkiffContainer extends GenericContainer {
  #containerId?: string;
  #config: Record<string, string> = {};
  #memory = false;

  constructor(image = process.env.SKIFF_IMAGE ?? 'skiff:latest') {
    super(image);
    this.withExposedPorts(SKIFF_PORT)
      .withEntrypoint([
        'sh',
        '-c',
        `while [ ! -f ${ARGS_FILE} ]; do sleep 0.02; done; exec node /app/bin/skiff.js start $(cat ${ARGS_FILE})`,
      ])
      .withCommand([])
      .withWaitStrategy(Wait.forLogMessage(/Skiff listening on/))
      .withStartupTimeout(60_000);
  }

  /** A broker setting (Kafka property name), e.g. withConfig('auto.create.topics.enable', 'false'). */
  withConfig(name: string, value: string | number | boolean): this {
    if (/\s/.test(name) || /\s/.test(String(value))) throw new Error('SkiffContainer config names and values cannot contain spaces');
    this.#config[name] = String(value);
    return this;
  }

  /** Keep everything in memory: no writes to the /data volume. */
  withMemoryStorage(): this {
    this.#memory = true;
    return this;
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.#containerId = containerId;
  }

  protected override async containerStarting(inspectResult: InspectResult): Promise<void> {
    const client = await getContainerRuntimeClient();
    // The same lookup getMappedPort() does: ports are keyed "9092/tcp".
    const hostPort = BoundPorts.fromInspectResult(client.info.containerRuntime.hostIps, inspectResult).getBinding(SKIFF_PORT);
    const args = ['--host', '0.0.0.0', '--port', String(SKIFF_PORT), '--data-dir', '/data'];
    if (this.#memory) args.push('--memory');
    args.push('--override', `advertised.listeners=PLAINTEXT://${client.info.containerRuntime.host}:${hostPort}`);
    for (const [k, v] of Object.entries(this.#config)) args.push('--override', `${k}=${v}`);
    const container = client.container.getById(this.#containerId!);
    // Written aside and renamed, so the entrypoint never reads half a file.
    const res = await client.container.exec(container, ['sh', '-c', `printf '%s' "$0" > ${ARGS_FILE}.tmp && mv ${ARGS_FILE}.tmp ${ARGS_FILE}`, args.join(' ')]);
    if (res.exitCode !== 0) throw new Error(`SkiffContainer: could not pass start arguments: ${res.output}`);
  }

  override async start(): Promise<StartedSkiffContainer> {
    return new StartedSkiffContainer(await super.start());
  }
}

export class StartedSkiffContainer extends AbstractStartedContainer {
  constructor(started: StartedTestContainer) {
    super(started);
  }

  /** host:port for Kafka clients' bootstrap.servers / brokers. */
  getBootstrapServers(): string {
    return `${this.getHost()}:${this.getMappedPort(SKIFF_PORT)}`;
  }
}
