// SkiffContainer ("skiff/testcontainers", built into dist/) through the container runtime's
// socket: starts the image, produces and consumes with kafkajs, stops it. Plain output, run by
// docker/test.sh (it sets DOCKER_HOST and friends for Podman).
//   node docker/testcontainers-check.mjs IMAGE
import { getContainerRuntimeClient } from 'testcontainers';
import { SkiffContainer } from 'skiff/testcontainers';
import { roundTrip } from './kafkajs-roundtrip.mjs';

const image = process.argv[2] ?? 'skiff:latest';
// Finding the runtime is once per process, not per container: timed apart from the start.
let t0 = performance.now();
await getContainerRuntimeClient();
const discoveryMs = performance.now() - t0;
t0 = performance.now();
// docker/test.sh removes whatever carries its label, should this process die before stop().
const label = process.env.SKIFF_DOCKER_TEST_LABEL;
const skiff = await new SkiffContainer(image)
  .withConfig('num.partitions', 2)
  .withLabels(label ? { 'skiff.docker-test': label } : {})
  .start();
const startMs = performance.now() - t0;
try {
  const consumed = await roundTrip(skiff.getBootstrapServers(), 'tc-check', 5);
  process.stdout.write(
    `testcontainers: SkiffContainer started in ${startMs.toFixed(0)} ms (to "Skiff listening"; ` +
      `finding the runtime took ${discoveryMs.toFixed(0)} ms before); ` +
      `kafkajs produced and consumed ${consumed} messages via ${skiff.getBootstrapServers()}\n`,
  );
} finally {
  await skiff.stop();
}
