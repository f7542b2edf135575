import { AsyncResource } from 'node:async_hooks';

type Bind = typeof AsyncResource.bind;
/** Set on the installed bind: Node's own, which it replaced. */
const NODE_BIND = Symbol.for('unit-ledger.node-async-resource-bind');

/**
 * `AsyncResource.bind` exactly as Node 20 defines it, minus the deprecated `asyncResource`
 * property (DEP0172) it puts on every bound function: two `util.deprecate` wrappers and an
 * accessor that turns the function into a slow dictionary object, per call.
 */
const leanBind = function bind(fn: (...args: unknown[]) => unknown, type?: string, thisArg?: unknown) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  const resource = new AsyncResource(type || fn.name || 'bound-anonymous-fn');
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]) {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : resource.runInAsyncScope.bind(resource, fn, thisArg);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  return bound;
} as Bind;

/**
 * NestJS runs every interceptor inside `defer(AsyncResource.bind(…))`, twice per request (so that
 * AsyncLocalStorage survives the RxJS pipeline). On Node 20 the deprecated property makes that
 * the larger part of the global RetryInterceptor's cost: ~32 µs of CPU per request in process,
 * ~145 µs over HTTP, against ~3 µs and ~55–70 µs with this bind
 * (test/bench/retry-interceptor.bench.ts, --fast-bind). Installed once, before the application is
 * built; everything else about the bound function — the async context it runs in, `this`, the
 * arguments, `length` — is Node's own (lean-async-resource-bind.spec.ts compares them, and fails
 * once a Node upgrade no longer defines the property, when this file should go).
 */
export function installLeanAsyncResourceBind(): void {
  if (installedOver(AsyncResource.bind)) return;
  Object.defineProperty(leanBind, NODE_BIND, { value: AsyncResource.bind, configurable: true });
  AsyncResource.bind = leanBind;
}

/** Node's bind that a lean one replaced (marked by a global symbol: module copies, as under jest, see each other's). */
const installedOver = (bind: Bind): Bind | undefined => (bind as unknown as Record<symbol, Bind | undefined>)[NODE_BIND];

/** Node's own `AsyncResource.bind`, whether or not the lean one is installed (for its test). */
export const nodeAsyncResourceBind = (): Bind => installedOver(AsyncResource.bind) ?? AsyncResource.bind;
