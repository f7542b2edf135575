import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncResourceBind, nodeAsyncResourceBind } from './lean-async-resource-bind';

// Built-in modules are shared by every test file of a jest worker: an earlier file's createApp may
// have installed the lean bind already.
const nodeBind = nodeAsyncResourceBind();

/** What a bound function does, observed from outside: the store it sees, `this`, its arguments, its length. */
function observe(bind: typeof AsyncResource.bind) {
  const store = new AsyncLocalStorage<{ id: number }>();
  const fn = function (this: unknown, a: number, b: number) {
    return { store: store.getStore(), self: this, args: [a, b] };
  };
  const plain = store.run({ id: 1 }, () => bind(fn));
  const withThis = store.run({ id: 2 }, () => bind(fn, 'typed', { it: 'thisArg' }));
  const receiver = { it: 'receiver' };
  return store.run({ id: 3 }, () => ({
    plain: plain.call(receiver, 4, 5),
    withThis: withThis.call(receiver, 6, 7),
    lengths: [plain.length, withThis.length],
  }));
}

describe('installLeanAsyncResourceBind', () => {
  it("Node still defines the deprecated asyncResource property on bound functions (when this fails after a Node upgrade, the patch is no longer needed: delete lean-async-resource-bind.ts and its install)", () => {
    const bound = nodeBind(() => undefined);
    expect(Object.getOwnPropertyDescriptor(bound, 'asyncResource')?.get).toEqual(expect.any(Function));
  });

  it('binds exactly as Node does: the async context of the bind, this, arguments, length', () => {
    const expected = observe(nodeBind);
    installLeanAsyncResourceBind();
    expect([AsyncResource.bind === nodeBind, nodeAsyncResourceBind()]).toEqual([false, nodeBind]);
    expect(observe(AsyncResource.bind)).toEqual(expected);
    expect(expected.plain).toEqual({ store: { id: 1 }, self: { it: 'receiver' }, args: [4, 5] });
    expect(expected.withThis).toEqual({ store: { id: 2 }, self: { it: 'thisArg' }, args: [6, 7] });
    expect(expected.lengths).toEqual([2, 2]);
  });

  it('leaves the property off, refuses what is not a function, and installs once', () => {
    installLeanAsyncResourceBind();
    const lean = AsyncResource.bind;
    installLeanAsyncResourceBind();
    expect(AsyncResource.bind).toBe(lean);
    expect(Object.getOwnPropertyDescriptor(lean(() => undefined), 'asyncResource')).toBeUndefined();
    expect(() => lean(5 as never)).toThrow('The "fn" argument must be of type function');
  });
});
