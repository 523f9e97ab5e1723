/** SafeTx typed data lives in scripts/lib (the dev wallet uses it too); tests use it from here. */
export * from '../../scripts/lib/safe-tx.js';
