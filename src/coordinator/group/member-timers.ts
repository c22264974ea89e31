/**
 * The per-member timers of the consumer, share and streams group managers, keyed by group
 * type, timer kind, group and member. Each fences the member when it fires: the session
 * timeout when a member stopped heartbeating, the rebalance timeout when it did not give up
 * what it was asked to revoke while it still holds that member epoch.
 */
import type { Logger } from '../../log.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorRuntime, Tx } from './runtime.js';

export class MemberTimers<M extends { memberEpoch: number }, G extends { members: ReadonlyMap<string, M> }> {
  readonly #groupType: string;
  readonly #kinds: readonly string[];
  readonly #runtime: CoordinatorRuntime<GroupRecord>;
  readonly #partitionFor: (groupId: string) => number;
  readonly #logger: Logger;
  readonly #group: (groupId: string) => G | undefined;
  readonly #fence: (tx: Tx<GroupRecord>, group: G, member: M) => void;

  constructor(opts: {
    /** The group type the keys and logs name ('consumer', 'share', 'streams'). */
    groupType: string;
    /** Every kind of timer a member may have, all cancelled by cancelAll. */
    kinds: readonly string[];
    runtime: CoordinatorRuntime<GroupRecord>;
    partitionFor: (groupId: string) => number;
    logger: Logger;
    /** The group of this type, if it exists. */
    group: (groupId: string) => G | undefined;
    fence: (tx: Tx<GroupRecord>, group: G, member: M) => void;
  }) {
    this.#groupType = opts.groupType;
    this.#kinds = opts.kinds;
    this.#runtime = opts.runtime;
    this.#partitionFor = opts.partitionFor;
    this.#logger = opts.logger;
    this.#group = opts.group;
    this.#fence = opts.fence;
  }

  #find(groupId: string, memberId: string): { group: G; member: M } | undefined {
    const group = this.#group(groupId);
    const member = group?.members.get(memberId);
    return group && member ? { group, member } : undefined;
  }

  #key(kind: string, groupId: string, memberId: string): string {
    return `${this.#groupType}-${kind}\u0000${groupId}\u0000${memberId}`;
  }

  /** Fences the member, if still there, when the timer fires; `why` goes to the log. */
  schedule(kind: string, groupId: string, memberId: string, timeoutMs: number, why: string): void {
    this.#runtime.schedule(this.#key(kind, groupId, memberId), timeoutMs, this.#partitionFor(groupId), (tx) => {
      const found = this.#find(groupId, memberId);
      if (!found) return;
      this.#logger.info({ groupId, memberId }, `${this.#groupType} group member fenced: ${why}`);
      this.#fence(tx, found.group, found.member);
    });
  }

  scheduleSession(groupId: string, memberId: string, timeoutMs: number): void {
    this.schedule('session', groupId, memberId, timeoutMs, 'its session expired');
  }

  /** Fences the member unless it has moved past `memberEpoch`; `what` names what it was to revoke. */
  scheduleRebalance(groupId: string, memberId: string, memberEpoch: number, timeoutMs: number, what: string): void {
    this.#runtime.schedule(this.#key('rebalance', groupId, memberId), timeoutMs, this.#partitionFor(groupId), (tx) => {
      const found = this.#find(groupId, memberId);
      if (!found || found.member.memberEpoch !== memberEpoch) return;
      this.#logger.info({ groupId, memberId, memberEpoch, timeoutMs }, `${this.#groupType} group member fenced: it did not revoke its ${what} within the rebalance timeout`);
      this.#fence(tx, found.group, found.member);
    });
  }

  isScheduled(kind: string, groupId: string, memberId: string): boolean {
    return this.#runtime.isScheduled(this.#key(kind, groupId, memberId));
  }

  cancel(kind: string, groupId: string, memberId: string): void {
    this.#runtime.cancel(this.#key(kind, groupId, memberId));
  }

  cancelAll(groupId: string, memberId: string): void {
    for (const kind of this.#kinds) this.cancel(kind, groupId, memberId);
  }
}
