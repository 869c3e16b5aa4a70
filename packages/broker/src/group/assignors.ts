/**
 * Server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`: uniform, the default,
 * and range). Input: each member's subscribed topics and the partition count of every subscribed
 * topic (by topic id), plus the previous target (stickiness). Output: a target per member.
 *
 *  - uniform: every partition to one subscribed member, counts as even as the subscriptions allow
 *    (with one subscription for all, each member `floor(P/M)` or one more); a partition stays with
 *    its previous owner while that owner is still subscribed and within its share (Kafka's
 *    UniformAssignor is sticky the same way, balance before stickiness).
 *  - range: per topic, the subscribed members sorted by member id get contiguous ranges, the first
 *    `partitions % members` one partition more (co-partitioned topics line up, as with the classic
 *    range assignor).
 * Both are deterministic for the same input.
 */
import type { Assignment } from "./consumer-group.js";

export interface AssignorInput {
  members: { memberId: string; topics: string[] }[];
  partitions: Map<string, number>;
  previous: Map<string, Assignment>;
}

export const ASSIGNORS = ["uniform", "range"] as const;

export function assign(name: string, input: AssignorInput): Map<string, Assignment> {
  return name === "range" ? range(input) : uniform(input);
}

function empty(input: AssignorInput): Map<string, Assignment> {
  return new Map(input.members.map((m) => [m.memberId, new Map()]));
}

function add(a: Assignment, topicId: string, p: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(p);
}

function range(input: AssignorInput): Map<string, Assignment> {
  const out = empty(input);
  for (const [topicId, count] of [...input.partitions].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subs = input.members.filter((m) => m.topics.includes(topicId)).map((m) => m.memberId).sort();
    if (subs.length === 0) continue;
    const base = Math.floor(count / subs.length);
    const extra = count % subs.length;
    let p = 0;
    subs.forEach((id, i) => {
      const n = base + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) add(out.get(id)!, topicId, p++);
    });
  }
  return out;
}

function uniform(input: AssignorInput): Map<string, Assignment> {
  const out = empty(input);
  const load = new Map(input.members.map((m) => [m.memberId, 0]));
  const subscribed = new Map(input.members.map((m) => [m.memberId, new Set(m.topics)]));
  const all: [string, number][] = [];
  for (const [topicId, count] of [...input.partitions].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let p = 0; p < count; p++) if (input.members.some((m) => subscribed.get(m.memberId)!.has(topicId))) all.push([topicId, p]);
  }
  // Balance first (Kafka's UniformHomogeneousAssignmentBuilder): every member gets `base` or
  // `base + 1`, and only `extra` members the one more. Stickiness within that: a member keeps up to
  // `base` of what it had, then one more while extra places remain (member id order).
  const base = Math.floor(all.length / Math.max(1, input.members.length));
  let extra = all.length % Math.max(1, input.members.length);
  const owner = new Map<string, string>();
  for (const [memberId, prev] of input.previous) {
    if (!out.has(memberId)) continue;
    for (const [topicId, ps] of prev) for (const p of ps) if (!owner.has(`${topicId}:${p}`)) owner.set(`${topicId}:${p}`, memberId);
  }
  const over: [string, string, number][] = [];
  const free: [string, number][] = [];
  for (const [topicId, p] of all) {
    const memberId = owner.get(`${topicId}:${p}`);
    if (memberId === undefined || !subscribed.get(memberId)!.has(topicId)) free.push([topicId, p]);
    else if (load.get(memberId)! < base) {
      add(out.get(memberId)!, topicId, p);
      load.set(memberId, load.get(memberId)! + 1);
    } else over.push([memberId, topicId, p]);
  }
  for (const [memberId, topicId, p] of over.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (extra > 0 && load.get(memberId) === base) {
      add(out.get(memberId)!, topicId, p);
      load.set(memberId, base + 1);
      extra--;
    } else free.push([topicId, p]);
  }
  // The rest to the least loaded subscribed member (ties: member id order).
  const order = input.members.map((m) => m.memberId).sort();
  for (const [topicId, p] of free) {
    let best: string | null = null;
    for (const id of order) if (subscribed.get(id)!.has(topicId) && (best === null || load.get(id)! < load.get(best)!)) best = id;
    if (best === null) continue;
    add(out.get(best)!, topicId, p);
    load.set(best, load.get(best)! + 1);
  }
  return out;
}
