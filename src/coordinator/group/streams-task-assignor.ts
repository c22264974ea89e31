/**
 * Kafka's sticky task assignor for streams groups (StickyTaskAssignor, the only one Kafka
 * 4.3 serves, named "sticky"). Active tasks stay with the member that had them while it has
 * room, else go to a member that kept them as standby, else to the least loaded process and
 * its least loaded member. Standby replicas (num.standby.replicas) are placed on processes
 * that hold neither the active task nor another replica of it; when there are not enough
 * processes the replica is left out, as Kafka does (with a warning). No warm-up tasks.
 */
import type { Tasks, TasksTuple } from './streams-group.js';

export const STICKY_ASSIGNOR_NAME = 'sticky';

export interface AssignorMember {
  memberId: string;
  processId: string;
  /** What the member was last given (its target assignment). */
  previous: TasksTuple;
}

export interface AssignmentResult {
  assignment: Map<string, TasksTuple>;
  /** Standby replicas that found no process to go to. */
  unplacedStandbys: number;
}

type TaskKey = string;
const key = (subtopologyId: string, partition: number): TaskKey => `${subtopologyId}\u0000${partition}`;

interface MemberLoad {
  memberId: string;
  processId: string;
  active: Set<TaskKey>;
  standby: Set<TaskKey>;
}

function compareTaskIds(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
}

export function assignTasks(members: readonly AssignorMember[], tasks: ReadonlyMap<string, number>, numStandbyReplicas: number): AssignmentResult {
  const sortedMembers = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const loads = new Map<string, MemberLoad>(sortedMembers.map((m) => [m.memberId, { memberId: m.memberId, processId: m.processId, active: new Set(), standby: new Set() }]));
  const processes = new Map<string, MemberLoad[]>();
  for (const l of loads.values()) processes.set(l.processId, [...(processes.get(l.processId) ?? []), l]);
  const taskIds: Array<[string, number]> = [];
  for (const [id, n] of tasks) for (let p = 0; p < n; p++) taskIds.push([id, p]);
  taskIds.sort(compareTaskIds);
  const result = new Map<string, TasksTuple>();
  if (loads.size === 0) return { assignment: result, unplacedStandbys: 0 };

  const prevActive = new Map<TaskKey, string>();
  const prevStandby = new Map<TaskKey, string[]>();
  for (const m of sortedMembers) {
    for (const [id, ps] of m.previous.active) for (const p of ps) prevActive.set(key(id, p), m.memberId);
    for (const [id, ps] of m.previous.standby) for (const p of ps) prevStandby.set(key(id, p), [...(prevStandby.get(key(id, p)) ?? []), m.memberId]);
  }
  const activeQuota = Math.ceil(taskIds.length / loads.size);
  const totalQuota = Math.ceil((taskIds.length * (1 + numStandbyReplicas)) / loads.size);
  const total = (l: MemberLoad) => l.active.size + l.standby.size;
  const processLoad = (pid: string) => {
    const ms = processes.get(pid)!;
    return ms.reduce((n, l) => n + total(l), 0) / ms.length;
  };
  const leastLoaded = (candidates: MemberLoad[]): MemberLoad | undefined => {
    let best: MemberLoad | undefined;
    for (const c of candidates) {
      if (!best) best = c;
      else {
        const d = processLoad(c.processId) - processLoad(best.processId);
        if (d < 0 || (d === 0 && total(c) < total(best))) best = c;
      }
    }
    return best;
  };

  // Active tasks: sticky first, then by load.
  const unassigned: Array<[string, number]> = [];
  for (const [id, p] of taskIds) {
    const k = key(id, p);
    const prev = loads.get(prevActive.get(k) ?? '');
    if (prev && prev.active.size < activeQuota) {
      prev.active.add(k);
      continue;
    }
    const standbyOwner = (prevStandby.get(k) ?? []).map((m) => loads.get(m)).filter((l): l is MemberLoad => l !== undefined && l.active.size < activeQuota);
    const chosen = leastLoaded(standbyOwner);
    if (chosen) chosen.active.add(k);
    else unassigned.push([id, p]);
  }
  for (const [id, p] of unassigned) {
    const withRoom = [...loads.values()].filter((l) => l.active.size < activeQuota);
    leastLoaded(withRoom.length > 0 ? withRoom : [...loads.values()])!.active.add(key(id, p));
  }

  // Standby replicas: never on a process that already holds the task.
  let unplacedStandbys = 0;
  for (let replica = 0; replica < numStandbyReplicas; replica++) {
    for (const [id, p] of taskIds) {
      const k = key(id, p);
      const holding = new Set([...loads.values()].filter((l) => l.active.has(k) || l.standby.has(k)).map((l) => l.processId));
      const eligible = [...loads.values()].filter((l) => !holding.has(l.processId));
      const previous = eligible.filter((l) => (prevStandby.get(k) ?? []).includes(l.memberId) && total(l) < totalQuota);
      const chosen = leastLoaded(previous) ?? leastLoaded(eligible);
      if (chosen) chosen.standby.add(k);
      else unplacedStandbys++;
    }
  }

  for (const l of loads.values()) result.set(l.memberId, { active: toTasks(l.active), standby: toTasks(l.standby), warmup: new Map() });
  return { assignment: result, unplacedStandbys };
}

function toTasks(keys: Iterable<TaskKey>): Tasks {
  const out = new Map<string, Set<number>>();
  for (const k of keys) {
    const at = k.lastIndexOf('\u0000');
    const id = k.slice(0, at);
    out.set(id, (out.get(id) ?? new Set()).add(Number(k.slice(at + 1))));
  }
  return out;
}
