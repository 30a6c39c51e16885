// Gateway API SessionPersistence (GEP-1619) → the table's SessionPersistence. One reader for
// both places it is written: a BackendTrafficPolicy's spec.sessionPersistence and an HTTPRoute
// rule's sessionPersistence (experimental channel).
import type { SessionPersistence } from '../../table/types.js';
import { POLICY_DEFAULTS } from './defaults.js';
import type { Fields } from './fields.js';
import { cookieNameProblem, headerNameProblem } from './names.js';

export function readSessionPersistence(value: unknown, f: Fields): SessionPersistence | undefined {
  const spec = f.object(value, 'sessionPersistence');
  if (!spec) return undefined;
  const sp = f.at('sessionPersistence');
  const type = sp.oneOf(spec['type'], 'type', ['Cookie', 'Header'] as const) ?? POLICY_DEFAULTS.sessionPersistence.type;
  const name = sp.string(spec['sessionName'], 'sessionName', type === 'Header' ? headerNameProblem : cookieNameProblem) ?? POLICY_DEFAULTS.sessionPersistence.sessionName;
  const absoluteTimeoutMs = sp.duration(spec['absoluteTimeout'], 'absoluteTimeout');
  const idleTimeoutMs = sp.duration(spec['idleTimeout'], 'idleTimeout');
  const cookieConfig = sp.object(spec['cookieConfig'], 'cookieConfig');
  // A header session has no cookie lifetime; its cookieConfig is ignored, as the spec has it.
  const lifetime =
    type === 'Cookie' ? (sp.at('cookieConfig').oneOf(cookieConfig?.['lifetimeType'], 'lifetimeType', ['Session', 'Permanent'] as const) ?? POLICY_DEFAULTS.sessionPersistence.lifetime) : 'Session';
  if (lifetime === 'Permanent' && spec['absoluteTimeout'] === undefined) sp.problem('absoluteTimeout', 'is required when cookieConfig.lifetimeType is Permanent (it becomes the cookie Max-Age)');
  return {
    type,
    name: type === 'Header' ? name.toLowerCase() : name,
    ...(absoluteTimeoutMs !== undefined ? { absoluteTimeoutMs } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    lifetime,
  };
}
