// URLRewrite: a new Host and/or path before forwarding.
import { NO_EFFECT, type FilterTranslator } from './filter.js';
import { pathModifier } from './path.js';

export const urlRewrite: FilterTranslator = (f, c) => {
  const u = f.urlRewrite;
  if (!u) {
    c.problems.unsupportedValue(`${c.where}: urlRewrite is missing`);
    return NO_EFFECT;
  }
  const path = pathModifier(u.path, c);
  return { rewrite: { ...(u.hostname ? { hostname: u.hostname } : {}), ...(path ? { path } : {}) } };
};
