/**
 * LOCAL DEMO ONLY — never part of the CDN build. A wallet switcher backed by anvil's well-known dev
 * keys, so the demo works without a wallet extension: act as @satoshi or as an admirer. It hands
 * the same EIP-1193 provider to every <harmony-paid-chat> on the page (the `provider` property).
 */
import { TestWallet } from '../scripts/lib/test-wallet.js';

const ROLES = [
  { index: 1, label: '@satoshi (creator)' },
  { index: 2, label: '@satoshi-admirer' },
  { index: 3, label: 'bob (visitor)' },
  { index: 4, label: 'carol (visitor)' },
  { index: 5, label: 'dave (new visitor)' },
];

const config = (await (await fetch('/demo-config.json')).json()) as { rpcUrl: string; chainId: number };
const stored = Number(sessionStorage.getItem('hpc-demo-role') ?? 2);
const wallet = new TestWallet({ index: ROLES.some((r) => r.index === stored) ? stored : 2, rpcUrl: config.rpcUrl, chainId: config.chainId, name: 'Local demo wallet' });

for (const el of document.querySelectorAll('harmony-paid-chat')) (el as any).provider = wallet;

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
