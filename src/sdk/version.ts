/**
 * The package version, written in at build time from package.json (rollup's `define` of
 * `__HARMONY_PAID_CHAT_VERSION__`); source run directly (tests, `npm start`) reports `0.0.0-source`.
 */
declare const __HARMONY_PAID_CHAT_VERSION__: string | undefined;

export const VERSION: string = typeof __HARMONY_PAID_CHAT_VERSION__ === 'string' ? __HARMONY_PAID_CHAT_VERSION__ : '0.0.0-source';
