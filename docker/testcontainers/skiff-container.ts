/**
 * SkiffContainer: Skiff in a container for your tests, with testcontainers-node.
 *
 *   const skiff = await new SkiffContainer().start();      // image "skiff:latest" by default
 *   const kafka = new Kafka({ brokers: [skiff.getBootstrapServers()] });
 *   ...
 *   await skiff.stop();
 *
 * Build the image first: docker build -f docker/Dockerfile -t skiff .
 *
 * Kafka clients connect to the address the broker advertises, so the container must know the
 * host port Docker mapped 9092 to. The entrypoint waits for /tmp/skiff.args; once the container
 * runs and its ports are known (containerStarting), we write the start arguments there,
 * including advertised.listeners=PLAINTEXT://<docker host>:<mapped port>.
 */
import {
  AbstractStartedContainer,
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
        `while [ ! -f ${ARGS_FILE} ]; do sleep 0.05; done; exec node /app/bin/skiff.js start $(cat ${ARGS_FILE})`,
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

  /** Keep everything in memory (skiff.memory): no writes to the /data volume. */
  withMemoryStorage(): this {
    this.#memory = true;
    return this;
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.#containerId = containerId;
  }

  protected override async containerStarting(inspectResult: InspectResult): Promise<void> {
    const client = await getContainerRuntimeClient();
    const binding = inspectResult.ports[SKIFF_PORT];
    const hostPort = Array.isArray(binding) ? binding[0]?.hostPort : undefined;
    if (hostPort === undefined) throw new Error(`SkiffContainer: port ${SKIFF_PORT} is not mapped`);
    const host = client.info.containerRuntime.host;
    const args = ['--host', '0.0.0.0', '--port', String(SKIFF_PORT), '--data-dir', '/data'];
    if (this.#memory) args.push('--memory');
    args.push('--override', `advertised.listeners=PLAINTEXT://${host}:${hostPort}`);
    for (const [k, v] of Object.entries(this.#config)) args.push('--override', `${k}=${v}`);
    const container = client.container.getById(this.#containerId!);
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

/** Whether a container runtime (Docker, Podman, ...) is reachable; never throws. */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
