import { describe, expect, it } from 'vitest';
import { ClusterController } from '../../../src/cluster/controller.js';
import { captureLogger } from '../server/helpers.js';

describe('ClusterController ISR', () => {
  it('does not take a stopped broker back into the ISR when its last fetch arrives late', async () => {
    const controller = await ClusterController.open({ clusterId: 'c', store: null, logger: captureLogger().logger, uncleanAllowed: () => false });
    for (const id of [1, 2, 3]) controller.register({ id, host: '127.0.0.1', port: 9090 + id, rack: null });
    const member = { partitionChanged: () => {} };
    for (const id of [1, 2, 3]) controller.brokerStarted(id, member);
    controller.addPartitions('t', 'id', {}, [[1, 2, 3]]);
    expect(controller.partition('t', 0)!.isr).toEqual([1, 2, 3]);
    controller.brokerStopped(3);
    expect(controller.partition('t', 0)!.isr).toEqual([1, 2]);
    controller.expandIsr('t', 0, 1, 3);
    expect(controller.partition('t', 0)!.isr).toEqual([1, 2]);
    // Back once it runs again and fetches.
    controller.brokerStarted(3, member);
    controller.expandIsr('t', 0, 1, 3);
    expect(controller.partition('t', 0)!.isr).toEqual([1, 2, 3]);
  });
});
