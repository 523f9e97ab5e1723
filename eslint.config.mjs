/**
 * `npm run lint` (also a step of `npm test`): Lit-aware checks of the element's templates with
 * eslint-plugin-lit's recommended rules (binding positions, invalid HTML in templates, duplicate
 * bindings, quoted expressions, `.value` attributes, legacy syntax…) plus a few stricter ones.
 * Only the element uses Lit; the SDK and the notifier must not import it (test/node/sdk-boundaries).
 */
import tsParser from '@typescript-eslint/parser';
import lit from 'eslint-plugin-lit';

export default [
  {
    files: ['src/element/**/*.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { lit },
    rules: {
      ...lit.configs['flat/recommended'].rules,
      'lit/no-invalid-html': 'error',
      'lit/no-useless-template-literals': 'error',
      'lit/no-template-arrow': 'off', // arrow handlers in templates are the element's idiom
      'lit/no-this-assign-in-render': 'error',
      'lit/no-native-attributes': 'error',
      'lit/attribute-names': 'error',
      'lit/lifecycle-super': 'error',
      'lit/no-classfield-shadowing': 'error',
    },
  },
];
