/** The dev-key wallet lives in scripts/lib (the demo's dev wallet uses it too); tests use it from here. */
export * from '../../scripts/lib/test-wallet.js';
