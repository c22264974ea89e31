/**
 * The data dir's identity, in Kafka's meta.properties format so that Kafka's own tools
 * recognise the folder: the cluster id is made once and kept, so clients see the same
 * cluster across restarts.
 */
import { randomUuid } from '../protocol/codec/uuid.js';
import { META_PROPERTIES_FILE, type SegmentStore } from '../storage/index.js';


export interface ClusterMeta {
  clusterId: string;
  nodeId: number;
}

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Reads meta.properties, writing it on first start. A configured cluster id must match
 * the stored one, as Kafka refuses a data dir formatted for another cluster.
 */
export async function loadClusterMeta(store: SegmentStore, nodeId: number, configuredClusterId: string | null): Promise<ClusterMeta> {
  const existing = await store.readWhole(META_PROPERTIES_FILE);
  if (existing !== undefined) {
    const props = parseProperties(existing.toString('utf8'));
    const clusterId = props.get('cluster.id');
    if (clusterId) {
      if (configuredClusterId !== null && configuredClusterId !== clusterId) {
        throw new Error(`the data dir belongs to cluster ${clusterId}, not the configured ${configuredClusterId}`);
      }
      const storedNode = Number(props.get('node.id'));
      if (Number.isInteger(storedNode) && storedNode !== nodeId) {
        throw new Error(`the data dir belongs to node ${storedNode}, not the configured node.id ${nodeId}`);
      }
      return { clusterId, nodeId };
    }
  }
  const clusterId = configuredClusterId ?? randomUuid();
  const text = `#\n#Written by Skiff\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\n`;
  await store.writeAtomic(META_PROPERTIES_FILE, text);
  return { clusterId, nodeId };
}
