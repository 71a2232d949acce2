// Leak checks: which of the process's active handles (sockets, servers, timers) are new since a snapshot of
// `process.getActiveResourcesInfo()`, counted by kind, so a handle of an earlier test that closed since is no gain.

/** Kinds held now beyond `before`, one entry per extra handle (stdio TTY handles are ignored). */
export function resourcesGained(before) {
  const tally = (list) => list.filter((name) => name !== 'TTYWrap').reduce((map, name) => map.set(name, (map.get(name) ?? 0) + 1), new Map());
  const then = tally(before);
  return [...tally(process.getActiveResourcesInfo())].flatMap(([name, n]) => Array(Math.max(0, n - (then.get(name) ?? 0))).fill(name));
}

/** Wait (at most `ms`) until nothing is held beyond `before`; returns what still is. */
export async function resourcesSettle(before, ms = 3000) {
  const deadline = Date.now() + ms;
  while (resourcesGained(before).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return resourcesGained(before);
}
