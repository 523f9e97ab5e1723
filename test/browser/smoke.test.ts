import { expect } from '@open-wc/testing';
import { mount, part, text } from './support/harness.js';

describe('smoke', () => {
  it('shows a free handle', async () => {
    const el = await mount({ handle: '@nobody-here' });
    expect(text(part(el, 'handle'))).to.equal('@nobody-here is free — claim it');
  });
});
