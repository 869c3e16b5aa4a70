/**
 * Share sessions (KIP-932): per (group, member), the partitions its ShareFetch requests cover and the
 * epoch its next request must carry. Epoch 0 opens a session (replacing one the member had), -1
 * closes it (only acknowledgements are allowed then), any other value must equal the expected epoch
 * (INVALID_SHARE_SESSION_EPOCH); a request for a session that does not exist →
 * SHARE_SESSION_NOT_FOUND. Each accepted request moves the expected epoch on by one (wrapping to 1
 * after INT32_MAX). Partitions are added by naming them in ShareFetch and removed by
 * ForgottenTopicsData. A closed or replaced session's acquired records are released by the caller.
 * A session belongs to the connection that opened it (Kafka 4.4's ShareSessionCache does the same):
 * when that connection closes, the session goes and its member's records are released
 * (Shares.bindToConnection), so a consumer that dies gives its records back at once, not after the
 * lock duration. Leaving the group (ShareGroupHeartbeat -1) does not end the session: a client may
 * send its last acknowledgements (epoch -1) after, or alongside, its leave heartbeat.
 */
export interface ShareSession {
  groupId: string;
  memberId: string;
  epoch: number;
  /** "topicId:partition" keys. */
  partitions: Set<string>;
  /** The connection that opened it (-1: none). */
  connectionId: number;
}

export const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;
export function splitPartitionKey(k: string): { topicId: string; partition: number } {
  const i = k.lastIndexOf(":");
  return { topicId: k.slice(0, i), partition: Number(k.slice(i + 1)) };
}

const nextEpoch = (e: number) => (e >= 0x7fffffff ? 1 : e + 1);

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  private key(groupId: string, memberId: string): string {
    return `${groupId}\0${memberId}`;
  }

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.sessions.get(this.key(groupId, memberId));
  }

  /**
   * Checks and advances the session for a request with `epoch`: the session, or an error code name.
   * `replaced` is a session that epoch 0 replaced (its records are to be released).
   */
  touch(groupId: string, memberId: string, epoch: number, allowOpen: boolean, connectionId = -1): { session?: ShareSession; replaced?: ShareSession; error?: "SHARE_SESSION_NOT_FOUND" | "INVALID_SHARE_SESSION_EPOCH" } {
    const k = this.key(groupId, memberId);
    const current = this.sessions.get(k);
    if (epoch === 0) {
      if (!allowOpen) return { error: "INVALID_SHARE_SESSION_EPOCH" };
      const session: ShareSession = { groupId, memberId, epoch: 1, partitions: new Set(), connectionId };
      this.sessions.set(k, session);
      return { session, replaced: current };
    }
    if (!current) return { error: "SHARE_SESSION_NOT_FOUND" };
    if (epoch === -1) {
      this.sessions.delete(k);
      return { session: current };
    }
    if (epoch !== current.epoch) return { error: "INVALID_SHARE_SESSION_EPOCH" };
    current.epoch = nextEpoch(current.epoch);
    return { session: current };
  }

  /** The session of a member (it expired, its connection closed): removed and returned. */
  removeMember(groupId: string, memberId: string): ShareSession | undefined {
    const k = this.key(groupId, memberId);
    const s = this.sessions.get(k);
    this.sessions.delete(k);
    return s;
  }

  /** Removes `session` if it is still the member's current one; whether it was. */
  removeIfCurrent(session: ShareSession): boolean {
    const k = this.key(session.groupId, session.memberId);
    if (this.sessions.get(k) !== session) return false;
    this.sessions.delete(k);
    return true;
  }
}
