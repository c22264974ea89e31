import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { MemberTimers } from '../../../src/coordinator/group/member-timers.js';
import type { GroupRecord } from '../../../src/coordinator/group/records.js';
import type { CoordinatorRuntime, Tx } from '../../../src/coordinator/group/runtime.js';

type Member = { memberEpoch: number };
type Group = { members: Map<string, Member> };

/** A runtime whose timers fire when the test says so. */
function setup() {
  const due = new Map<string, (tx: Tx<GroupRecord>) => void>();
  const runtime = {
    schedule: (key: string, _ms: number, _partition: number, fn: (tx: Tx<GroupRecord>) => void) => void due.set(key, fn),
    cancel: (key: string) => void due.delete(key),
    isScheduled: (key: string) => due.has(key),
  } as unknown as CoordinatorRuntime<GroupRecord>;
  const group: Group = { members: new Map([['m1', { memberEpoch: 3 }]]) };
  const fenced: string[] = [];
  const timers = new MemberTimers<Member, Group>({
    groupType: 'consumer',
    kinds: ['session', 'rebalance'],
    runtime,
    partitionFor: () => 0,
    logger: createLogger({ level: 'silent' }),
    group: (id) => (id === 'g' ? group : undefined),
    fence: (_tx, _g, m) => void fenced.push(`epoch ${m.memberEpoch}`),
  });
  const fire = () => {
    for (const fn of due.values()) fn({} as Tx<GroupRecord>);
    due.clear();
  };
  return { group, timers, fenced, fire };
}

describe('member timers', () => {
  it('a rebalance timeout fences a member still at the epoch it was asked to revoke in', () => {
    const { timers, fenced, fire } = setup();
    timers.scheduleRebalance('g', 'm1', 3, 1000, 'partitions');
    fire();
    expect(fenced).toEqual(['epoch 3']);
  });

  it('a rebalance timeout that fires after the member moved to a newer epoch does nothing', () => {
    const { group, timers, fenced, fire } = setup();
    timers.scheduleRebalance('g', 'm1', 3, 1000, 'partitions');
    group.members.get('m1')!.memberEpoch = 4;
    fire();
    expect(fenced).toEqual([]);
  });

  it('a session timeout fences the member whatever its epoch, and not once it is gone', () => {
    const { group, timers, fenced, fire } = setup();
    timers.scheduleSession('g', 'm1', 1000);
    group.members.get('m1')!.memberEpoch = 9;
    fire();
    expect(fenced).toEqual(['epoch 9']);
    timers.scheduleSession('g', 'm1', 1000);
    group.members.delete('m1');
    fire();
    expect(fenced).toEqual(['epoch 9']);
  });
});
