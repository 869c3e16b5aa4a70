/**
 * A classic (JoinGroup/SyncGroup) consumer group: its members and its state machine, as Kafka's
 * ClassicGroup keeps them. The transitions are made by group-shard.ts; this module holds the data and
 * the rules that do not depend on a request.
 *
 * States and the transitions allowed (Kafka's):
 *   Empty               no members (offsets may exist)      → PreparingRebalance (a join), Dead (deleted)
 *   PreparingRebalance  waiting for every member to (re)join → CompletingRebalance (all joined, or the
 *                       rebalance timeout), Empty (nobody left)
 *   CompletingRebalance waiting for the leader's assignment  → Stable (leader's SyncGroup), PreparingRebalance
 *                       (a member joins, leaves or expires)
 *   Stable              assignment handed out, heartbeats    → PreparingRebalance (join with new metadata,
 *                       the leader rejoins, a member leaves or expires)
 *   Dead                deleted; answers as if it did not exist
 * Invariants: `generationId` grows by one at each completed join (also when the group becomes Empty);
 * the leader is a member whenever there are members; every member supports `protocolName` once chosen;
 * a static member (group.instance.id) maps to exactly one member id at a time.
 */
export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResponse {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface ClassicMember {
  readonly memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  /** The JoinGroup waiting for the rebalance to complete (PreparingRebalance). */
  awaitingJoin: ((r: JoinResponse) => void) | null;
  /** The SyncGroup waiting for the leader's assignment (CompletingRebalance). */
  awaitingSync: ((r: SyncResponse) => void) | null;
  /** Joined during this rebalance (Kafka's isNew: expires on the new-member join timeout). */
  isNew: boolean;
}

const EMPTY = Buffer.alloc(0);

export class ClassicGroup {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  stateTimestamp: number;
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (KIP-394). */
  readonly pendingMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet (Kafka's pending sync). */
  readonly pendingSyncMembers = new Set<string>();

  constructor(readonly groupId: string, now: number) {
    this.stateTimestamp = now;
  }

  transition(to: GroupState, now: number): void {
    this.state = to;
    this.stateTimestamp = now;
  }

  is(...states: GroupState[]): boolean {
    return states.includes(this.state);
  }

  add(m: ClassicMember): void {
    if (this.members.size === 0 && this.protocolType === null) this.protocolType = m.protocolType;
    this.members.set(m.memberId, m);
    if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId);
    if (this.leaderId === null) this.leaderId = m.memberId;
    this.pendingMembers.delete(m.memberId);
  }

  remove(memberId: string): ClassicMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return m;
  }

  /** Every member supports the protocol type and at least one protocol in common. */
  supportsProtocols(protocolType: string, protocols: readonly { name: string }[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const names = new Set(protocols.map((p) => p.name));
    return [...this.candidateProtocols()].some((n) => names.has(n));
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    if (members.length === 0) return new Set<string>();
    const common = new Set<string>(members[0]!.protocols.map((p) => p.name));
    for (const m of members.slice(1)) {
      const mine = new Set<string>(m.protocols.map((p) => p.name));
      for (const n of [...common]) if (!mine.has(n)) common.delete(n);
    }
    return common;
  }

  /** Kafka's vote: each member votes for its most preferred candidate; most votes wins (ties: first seen). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = "";
    let max = -1;
    for (const [name, n] of votes) if (n > max) [best, max] = [name, n];
    return best;
  }

  metadataOf(m: ClassicMember, protocol: string): Buffer {
    return m.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Every member has sent its JoinGroup for this rebalance (and no MEMBER_ID_REQUIRED round is open). */
  allJoined(): boolean {
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return this.pendingMembers.size === 0;
  }

  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** The group as ListGroups and DescribeGroups name its state (Kafka's names). */
  get stateName(): string {
    return this.state;
  }
}

export { EMPTY as EMPTY_BYTES };
