/**
 * What every group type's manager (classic, consumer, share, streams) stands on: the
 * coordinator's runtime and its one table of groups of every type. A group id names one group
 * whatever its type, so each manager looks its groups up in the shared table and runs its
 * operations on the `__consumer_offsets` partition the id hashes to.
 */
import type { Logger } from '../../log.js';
import type { Group } from './group-type.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorRuntime, Operation, Tx } from './runtime.js';

/** The topics the coordinator sees (Kafka's metadata image). */
export interface TopicsView {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  byId(topicId: string): { name: string; partitions: number } | undefined;
  names(): Iterable<string>;
  /** The racks of the brokers holding the partition's replicas (none when brokers have no broker.rack). */
  partitionRacks?(name: string, partition: number): readonly string[];
}

export interface GroupManagerDeps {
  runtime: CoordinatorRuntime<GroupRecord>;
  groups: Map<string, Group>;
  topics: TopicsView;
  logger: Logger;
  now: () => number;
  partitionFor: (groupId: string) => number;
}

export abstract class GroupTypeManager<G extends Group> {
  protected readonly runtime: CoordinatorRuntime<GroupRecord>;
  protected readonly groups: Map<string, Group>;
  protected readonly topics: TopicsView;
  protected readonly logger: Logger;
  protected readonly now: () => number;
  protected readonly partitionFor: (groupId: string) => number;
  readonly #isOwnType: (g: Group) => g is G;

  constructor(deps: GroupManagerDeps, isOwnType: (g: Group) => g is G) {
    this.runtime = deps.runtime;
    this.groups = deps.groups;
    this.topics = deps.topics;
    this.logger = deps.logger;
    this.now = deps.now;
    this.partitionFor = deps.partitionFor;
    this.#isOwnType = isOwnType;
  }

  /** The group `groupId` if it exists and is of this manager's type. */
  protected ownGroup(groupId: string): G | undefined {
    const g = this.groups.get(groupId);
    return g !== undefined && this.#isOwnType(g) ? g : undefined;
  }

  /**
   * The group a heartbeat acts on: this type's group `groupId`; a new one (from `create`) when a
   * member joins (`joining`) where no group lives, or where an empty classic group holds only
   * offsets (its tombstones go into `tx`, the offsets stay); otherwise what `other` makes of the
   * group of another type, or the message of GROUP_ID_NOT_FOUND. `kind` names the type in it.
   */
  protected heartbeatGroup(groupId: string, joining: boolean, tx: Tx<GroupRecord>, kind: string, create: () => G, other?: (existing: Group) => G | string | undefined): G | string {
    const existing = this.groups.get(groupId);
    if (existing !== undefined && this.#isOwnType(existing)) return existing;
    if (existing === undefined || existing.isDead()) return joining ? create() : `${kind[0]!.toUpperCase()}${kind.slice(1)} group ${groupId} not found.`;
    if (joining && existing.type === 'classic' && existing.isEmpty()) {
      tx.records.push(...existing.tombstones());
      return create();
    }
    return (joining ? other?.(existing) : undefined) ?? `Group ${groupId} is not a ${kind} group.`;
  }

  protected execute<R>(groupId: string, op: Operation<GroupRecord, R>): Promise<R> {
    return this.runtime.execute(this.partitionFor(groupId), op);
  }
}
