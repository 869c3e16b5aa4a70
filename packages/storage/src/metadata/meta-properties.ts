/**
 * `meta.properties` in the data dir, Kafka's Java-properties format (KRaft's v1):
 *
 *   #
 *   version=1
 *   cluster.id=<22-char base64url UUID>
 *   node.id=<int>
 *   directory.id=<22-char base64url UUID>
 *
 * Created on first start with a random cluster id and directory id; later starts read it (and refuse a
 * data dir whose node.id differs from the configured one). A file without `directory.id` (written by an
 * earlier build) gets one added on start, as Kafka 3.7+ does (KIP-858): DescribeQuorum reports it as
 * the voter's directory id (KIP-853). Migration: Kafka's own `version` key.
 */
import type { FileSystem } from "../fs/file-system.js";
import { joinPath, writeFileAtomic } from "../fs/file-system.js";
import { CorruptLogError } from "../errors.js";
import { newTopicId } from "./metadata-store.js";

export const META_PROPERTIES = "meta.properties";

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

function render(m: MetaProperties): string {
  return `#\nversion=1\ncluster.id=${m.clusterId}\nnode.id=${m.nodeId}\ndirectory.id=${m.directoryId}\n`;
}

export async function loadOrCreateMetaProperties(fs: FileSystem, dataDir: string, nodeId: number, clusterId?: string): Promise<MetaProperties> {
  await fs.mkdir(dataDir);
  const path = joinPath(dataDir, META_PROPERTIES);
  if (await fs.stat(path)) {
    const props = new Map<string, string>();
    for (const line of (await fs.readFile(path)).toString("utf8").split("\n")) {
      const m = /^([^#=\s][^=]*)=(.*)$/.exec(line.trim());
      if (m) props.set(m[1]!, m[2]!);
    }
    const id = props.get("cluster.id");
    const node = Number(props.get("node.id"));
    if (props.get("version") !== "1" || !id || !Number.isInteger(node)) throw new CorruptLogError(`${path} is not a version 1 meta.properties`);
    if (node !== nodeId) throw new CorruptLogError(`${path} belongs to node ${node}, not ${nodeId}`);
    const directoryId = props.get("directory.id");
    if (directoryId) return { clusterId: id, nodeId: node, directoryId };
    const upgraded = { clusterId: id, nodeId: node, directoryId: newTopicId() };
    await writeFileAtomic(fs, path, render(upgraded));
    return upgraded;
  }
  const meta = { clusterId: clusterId ?? newTopicId(), nodeId, directoryId: newTopicId() };
  await writeFileAtomic(fs, path, render(meta));
  return meta;
}
