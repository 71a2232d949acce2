// The scenario groups, in run order.
import apiRules from './api-rules.mjs';
import clientRole from './client-role.mjs';
import dropIn from './drop-in.mjs';
import handshake from './handshake.mjs';
import mixed from './mixed.mjs';
import protocolErrors from './protocol-errors.mjs';
import serverRole from './server-role.mjs';

/** Group name → scenario list. */
export const groups = {
  'server role': serverRole,
  'client role': clientRole,
  'protocol errors': protocolErrors,
  handshake,
  'mixed pairs': mixed,
  'api rules': apiRules,
  'drop-in': dropIn
};

/** Every scenario, flattened. */
export function allScenarios() {
  return Object.values(groups).flat();
}
