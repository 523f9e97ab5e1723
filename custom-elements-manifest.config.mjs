/**
 * `cem analyze` reads the element's JSDoc (@csspart, @cssprop, @fires, …) into custom-elements.json.
 * Only the public modules: the element, its define entry and its events. The lazily loaded
 * controller, views and copy are internal (not part of the API).
 */
export default {
  globs: ['src/element/harmony-paid-chat.ts', 'src/element/harmony-paid-chat.component.ts', 'src/element/events.ts'],
  outdir: process.env.CEM_OUTDIR ?? '.',
  litelement: true,
  packagejson: false, // package.json names custom-elements.json itself
};
