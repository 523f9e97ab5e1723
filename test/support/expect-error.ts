/** Asserting a PaidChatError: its code, its reason, and a message that explains (tests only). */
import assert from 'node:assert/strict';
import { PaidChatError } from '../../src/sdk/errors.js';

/** Awaits `p` (or calls it) and asserts it throws a PaidChatError with `code` (and `details.reason`). */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string, reason?: string): Promise<PaidChatError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof PaidChatError, `expected PaidChatError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (reason) assert.equal(e.details.reason, reason, e.message);
    assert.ok(e.message.length > 20, 'the message explains what happened and what to do');
    return e;
  }
  assert.fail(`expected ${code}`);
}
