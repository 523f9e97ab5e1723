/**
 * The few Mocha globals the browser tests use (web-test-runner runs Mocha in the page; the repo
 * does not install @types/mocha).
 */
interface MochaContext {
  timeout(ms: number): void;
  slow(ms: number): void;
  skip(): never;
}
type MochaFn = (this: MochaContext) => void | Promise<unknown>;
interface MochaIt {
  (title: string, fn: MochaFn): void;
  only(title: string, fn: MochaFn): void;
  skip(title: string, fn?: MochaFn): void;
}
interface MochaDescribe {
  (title: string, fn: (this: MochaContext) => void): void;
  only(title: string, fn: (this: MochaContext) => void): void;
  skip(title: string, fn: (this: MochaContext) => void): void;
}
declare const describe: MochaDescribe;
declare const it: MochaIt;
declare function before(fn: MochaFn): void;
declare function after(fn: MochaFn): void;
declare function beforeEach(fn: MochaFn): void;
declare function afterEach(fn: MochaFn): void;
