// Which filters a route and a weighted backend get, in the order they apply. A new data-plane
// filter is one line here (and its module).
import type { Route, WeightedBackend } from '../../table/types.js';
import { chain, type FilterChain } from './filter.js';
import { requestHeaderFilter, responseHeaderFilter } from './header-modifier.js';
import { urlRewriteFilter } from './url-rewrite.js';

/** The route's own filters (mirrors get the request as these shaped it). */
export function routeFilters(route: Route): FilterChain {
  return chain([urlRewriteFilter(route), requestHeaderFilter(route.requestHeaders), responseHeaderFilter(route.responseHeaders)]);
}

/** A backendRef's own filters, applied after the route's on requests and on responses. */
export function backendFilters(backend: WeightedBackend): FilterChain {
  return chain([requestHeaderFilter(backend.requestHeaders), responseHeaderFilter(backend.responseHeaders)]);
}
