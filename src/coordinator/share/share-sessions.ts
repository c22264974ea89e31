/**
 * Share sessions (Kafka's ShareSessionCache): one per (group, member) on this broker, holding
 * the partitions the member fetches here and the epoch its next request must carry. Epoch 0
 * opens a session (replacing the member's old one), -1 closes it, any other epoch must match
 * the session's; each request served moves the epoch on. At most
 * group.share.max.share.sessions sessions exist at once.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface ShareSession {
  readonly groupId: string;
  readonly memberId: string;
  /** The epoch the member's next request must carry. */
  epoch: number;
  /** Topic id to partition indexes. */
  readonly partitions: Map<string, Set<number>>;
}

export interface SessionPartitions {
  readonly topicId: string;
  readonly partitions: readonly number[];
}

function keyOf(groupId: string, memberId: string): string {
  return `${groupId}\u0000${memberId}`;
}

/** Kafka's next epoch after `epoch`: it wraps to 1, never back to 0. */
function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

export class ShareSessionCache {
  readonly #sessions = new Map<string, ShareSession>();

  constructor(readonly maxSessions: number) {}

  get size(): number {
    return this.#sessions.size;
  }

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.#sessions.get(keyOf(groupId, memberId));
  }

  /** All sessions of a group (its deletion ends them). */
  ofGroup(groupId: string): ShareSession[] {
    return [...this.#sessions.values()].filter((s) => s.groupId === groupId);
  }

  /** Epoch 0: a new session with `partitions`; the member's previous one is dropped first. */
  open(groupId: string, memberId: string, partitions: readonly SessionPartitions[]): ShareSession | number {
    this.#sessions.delete(keyOf(groupId, memberId));
    if (this.#sessions.size >= this.maxSessions) return ErrorCode.SHARE_SESSION_LIMIT_REACHED;
    const session: ShareSession = { groupId, memberId, epoch: INITIAL_EPOCH, partitions: new Map() };
    addPartitions(session, partitions);
    this.#sessions.set(keyOf(groupId, memberId), session);
    return session;
  }

  /** The session a request with a non-zero epoch belongs to, or the error Kafka answers. */
  check(groupId: string, memberId: string, epoch: number): ShareSession | number {
    const session = this.get(groupId, memberId);
    if (session === undefined) return ErrorCode.SHARE_SESSION_NOT_FOUND;
    if (epoch !== FINAL_EPOCH && epoch !== session.epoch) return ErrorCode.INVALID_SHARE_SESSION_EPOCH;
    return session;
  }

  /** The request was served: its session expects the next epoch. */
  advance(session: ShareSession): void {
    session.epoch = nextEpoch(session.epoch);
  }

  /** Removes `session` if it is still the member's current one; true when it was. */
  remove(session: ShareSession): boolean {
    const key = keyOf(session.groupId, session.memberId);
    if (this.#sessions.get(key) !== session) return false;
    this.#sessions.delete(key);
    return true;
  }

  removeMember(groupId: string, memberId: string): ShareSession | undefined {
    const session = this.get(groupId, memberId);
    if (session) this.#sessions.delete(keyOf(groupId, memberId));
    return session;
  }
}

export function addPartitions(session: ShareSession, partitions: readonly SessionPartitions[]): void {
  for (const t of partitions) {
    let set = session.partitions.get(t.topicId);
    if (!set) session.partitions.set(t.topicId, (set = new Set()));
    for (const p of t.partitions) set.add(p);
  }
}

export function forgetPartitions(session: ShareSession, partitions: readonly SessionPartitions[]): void {
  for (const t of partitions) {
    const set = session.partitions.get(t.topicId);
    if (!set) continue;
    for (const p of t.partitions) set.delete(p);
    if (set.size === 0) session.partitions.delete(t.topicId);
  }
}
