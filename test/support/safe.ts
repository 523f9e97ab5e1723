/** Safe 1.4.1 contract wallets on the local chain — the code is in scripts/lib (the benches use it too, and scripts never import test/); tests use it from here. */
export * from '../../scripts/lib/safe.js';
