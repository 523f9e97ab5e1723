/** Notifier fixtures (signed requests, a running notifier on a temp database) — the code is in scripts/lib (the benches use it too, and scripts never import test/); tests use it from here. */
export * from '../../scripts/lib/notifier.js';
