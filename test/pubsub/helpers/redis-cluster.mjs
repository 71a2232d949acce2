// A Redis Cluster of `masters` redis-server processes started by the test (cluster-enabled, no replicas), created
// with `redis-cli --cluster create ... --cluster-yes`, ready once every node reports cluster_state:ok.
import { spawnSync } from 'node:child_process';
import { REDIS_CLI, startRedis } from './redis-server.mjs';

export async function startRedisCluster(masters) {
  const nodes = [];
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(await startRedis({ config: ['cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 5000'] }));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    const created = spawnSync(REDIS_CLI.path, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const deadline = Date.now() + 20000;
    while (!nodes.every((node) => node.cli('cluster', 'info').includes('cluster_state:ok'))) {
      if (Date.now() > deadline) throw new Error('the cluster never reached cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    stop: () => Promise.all(nodes.map((node) => node.stop()))
  };
}
