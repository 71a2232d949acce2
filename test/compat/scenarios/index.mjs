// The scenario groups, in run order.
import serverRole from './server-role.mjs';

/** Group name → scenario list. */
export const groups = { 'server role': serverRole };

/** Every scenario, flattened. */
export function allScenarios() {
  return Object.values(groups).flat();
}
