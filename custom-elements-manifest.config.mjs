/** `cem analyze` reads the element's JSDoc (@csspart, @cssprop, @fires, …) into custom-elements.json. */
export default {
  globs: ['src/element/**/*.ts'],
  exclude: ['src/element/**/*.test.ts', 'src/element/**/*.styles.ts'],
  outdir: process.env.CEM_OUTDIR ?? '.',
  litelement: true,
  packagejson: false, // package.json names custom-elements.json itself
};
