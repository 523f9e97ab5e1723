/** `cem analyze` reads the element's JSDoc (@csspart, @cssprop, @fires, …) into custom-elements.json. */
export default {
  globs: ['src/element/**/*.ts'],
  exclude: ['src/element/**/*.test.ts', 'src/element/**/*.styles.ts'],
  outdir: '.',
  litelement: true,
  packagejson: true,
};
