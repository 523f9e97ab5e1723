/**
 * LOCAL DEMO ONLY — never part of the CDN build. A wallet switcher backed by anvil's well-known dev
 * keys, so the demo works without a wallet extension: act as @satoshi or as an admirer. It hands
 * the same EIP-1193 provider to every <harmony-paid-chat> on the page (the `provider` property).
 *
 * Keys are made on the device, and the seeded accounts' keys were made by `npm start`'s seeding
 * process: on the first visit this page restores their backup files (public, like the dev keys)
 * into this browser, exactly as a user restores a backup in a new browser. Until that is done the
 * wallet answers nothing, so the widgets never read before the keys are here.
 */
import { TestWallet } from '../scripts/lib/test-wallet.js';
import { createPaidChat } from '../src/sdk/index.js';
import { local } from '../src/sdk/chains.js';

const ROLES = [
  { index: 1, label: '@satoshi (creator)' },
  { index: 2, label: '@satoshi-admirer' },
  { index: 3, label: 'bob (visitor)' },
  { index: 4, label: 'carol (visitor)' },
  { index: 5, label: 'dave (new visitor)' },
];

const config = (await (await fetch('/demo-config.json')).json()) as {
  rpcUrl: string;
  chainId: number;
  contract: `0x${string}`;
  backups?: Record<string, string>;
  backupPassphrase?: string;
};
const stored = Number(sessionStorage.getItem('hpc-demo-role') ?? 2);
const wallet = new TestWallet({ index: ROLES.some((r) => r.index === stored) ? stored : 2, rpcUrl: config.rpcUrl, chainId: config.chainId, name: 'Local demo wallet' });

/** Restores each seeded account's backup for the demo's handle into this origin's key store (once). */
async function restoreSeededKeys(): Promise<void> {
  const chain = { ...local, id: config.chainId, rpcUrls: { default: { http: [config.rpcUrl] } } };
  for (const [index, file] of Object.entries(config.backups ?? {})) {
    const w = new TestWallet({ index: Number(index), rpcUrl: config.rpcUrl, chainId: config.chainId });
    await w.request({ method: 'eth_requestAccounts' });
    const chat = createPaidChat({ chain, rpcUrl: config.rpcUrl, contract: config.contract, wallet: w as any, scope: { handle: 'satoshi', origin: location.origin } });
    try {
      await chat.restoreBackup(file, config.backupPassphrase ?? ''); // keys already here are skipped, nothing asked
    } catch (e) {
      console.warn(`demo: could not restore the keys of dev account ${index}:`, e);
    }
  }
}

const ready = restoreSeededKeys();
const provider = {
  async request(args: { method: string; params?: unknown }) {
    await ready;
    return wallet.request(args as any);
  },
  on: wallet.on.bind(wallet),
  removeListener: wallet.removeListener.bind(wallet),
};

for (const el of document.querySelectorAll('harmony-paid-chat')) (el as any).provider = provider;

const bar = document.createElement('aside');
bar.className = 'dev-wallet';
bar.setAttribute('aria-label', 'Local demo wallet');
const label = document.createElement('label');
label.textContent = 'Demo wallet (local dev keys — not a real wallet): act as ';
const select = document.createElement('select');
for (const r of ROLES) {
  const o = document.createElement('option');
  o.value = String(r.index);
  o.textContent = r.label;
  o.selected = r.index === stored;
  select.append(o);
}
select.addEventListener('change', () => {
  const i = Number(select.value);
  sessionStorage.setItem('hpc-demo-role', String(i));
  wallet.useAccount(i);
});
label.append(select);
bar.append(label);
document.body.prepend(bar);
