/**
 * `npm start`: the whole story on this machine, with no wallet extension, faucet or public network.
 * Starts anvil (Istanbul rules), deploys PaidChat, seeds the demo (@satoshi with messages in every
 * state), starts the notifier with a local SMTP sink, builds the widget if needed, serves demo/,
 * and prints one URL. Ctrl-C stops every child.
 *
 *   npm start -- [--port 8080] [--chain-port 8545] [--notifier-port 8787] [--smtp-port 2525] [--no-seed]
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, formatEther, http } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { portIsFree, startAnvil, ANVIL_MNEMONIC } from './lib/anvil.js';
import { deployPaidChat } from './lib/deploy.js';
import { DEMO_PASSPHRASE, seedDemo, type SeedResult } from './lib/seed.js';
import { ensureBuildAsync, ROOT, stopBuilds } from './lib/build.js';
import { startDemoServer } from './lib/demo-server.js';
import { local } from '../src/sdk/chains.js';
import { toOneAddress } from '../src/sdk/address.js';
import { startTestSmtp } from './lib/smtp.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    'chain-port': { type: 'string', default: process.env.CHAIN_PORT ?? '8545' },
    'notifier-port': { type: 'string', default: process.env.NOTIFIER_PORT ?? '8787' },
    'smtp-port': { type: 'string', default: process.env.SMTP_PORT ?? '2525' },
    'no-seed': { type: 'boolean', default: false },
    'no-notifier': { type: 'boolean', default: false },
  },
});

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// Every port first, before anything starts: a port in use would otherwise fail half-way (or, for
// the chain, let another node on it take the demo's transactions).
type PortFlag = 'port' | 'chain-port' | 'notifier-port' | 'smtp-port';
const ports: [PortFlag, string, string][] = [
  ['port', 'PORT', 'the demo page'],
  ['chain-port', 'CHAIN_PORT', 'the local chain'],
  ...(values['no-notifier'] ? [] : ([['notifier-port', 'NOTIFIER_PORT', 'the notifier'], ['smtp-port', 'SMTP_PORT', 'the SMTP sink']] as [PortFlag, string, string][])),
];
for (const [flag, env, what] of ports) {
  const port = Number(values[flag]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`--${flag} ${values[flag]} is not a port (1–65535).`);
    process.exit(2);
  }
  if (!(await portIsFree(port))) {
    console.error(`Port ${port} (${what}) is in use. Stop what holds it, or choose another: npm start -- --${flag} ${port + 1} (or ${env}=${port + 1} npm start).`);
    process.exit(1);
  }
}

try {
  const t0 = Date.now();
  const step = (s: string) => console.log(`· ${s} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  // The rollup build (≈ 30 s when the sources changed) runs while the chain is set up.
  const building = ensureBuildAsync();
  building.catch(() => undefined);
  stops.push(stopBuilds);

  const anvil = await startAnvil({ port: Number(values['chain-port']), chainId: local.id });
  stops.push(() => anvil.stop());
  const chain = { ...local, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const accounts = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }));
  const { address: contract, blockNumber } = await deployPaidChat({ rpcUrl: anvil.rpcUrl, chain, account: accounts[0] });
  step(`chain ${anvil.rpcUrl}, PaidChat ${contract}`);

  let notifierUrl: string | undefined;
  let mails: () => any[] = () => [];
  if (!values['no-notifier']) {
    const smtp = await startTestSmtp({ port: Number(values['smtp-port']) });
    stops.push(() => smtp.close());
    mails = () =>
      smtp.received.map((m) => ({
        from: m.envelopeFrom,
        to: m.envelopeTo,
        subject: m.subject,
        date: new Date(m.acceptedAt).toISOString(),
        text: m.text,
        headers: Object.fromEntries(m.headers),
      }));
    const dataDir = mkdtempSync(join(tmpdir(), 'hpc-start-'));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    notifierUrl = `http://127.0.0.1:${values['notifier-port']}`;
    const child = spawn(
      process.execPath,
      [
        '--import', 'tsx', join(ROOT, 'notifier/src/main.ts'),
        '--chain', 'local',
        '--rpc-url', anvil.rpcUrl,
        '--contract', contract,
        '--from-block', String(blockNumber),
        '--smtp-url', `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`,
        '--from', 'Paid Chat (local demo) <notify@localhost>',
        '--db', join(dataDir, 'notifier.sqlite'),
        '--port', String(values['notifier-port']),
        '--page-url', `http://127.0.0.1:${values.port}/demo/?handle={handle}`,
        '--allowed-origins', `http://127.0.0.1:${values.port},http://localhost:${values.port}`,
        '--poll-interval', '500ms',
        '--retry-base', '500ms',
        '--log-level', 'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    stops.push(
      () =>
        new Promise<void>((r) => {
          if (child.exitCode !== null) return r();
          child.once('exit', () => r());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        }),
    );
    const up = (async () => {
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new Error(`the notifier exited (${child.exitCode})`);
        if (await fetch(`${notifierUrl}/v1/health`).then((r) => r.ok, () => false)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the notifier did not answer /v1/health within 20 s');
    })();
    let log = '';
    child.stdout!.on('data', (d) => (log = (log + d).slice(-4000)));
    child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    await up.catch((e) => {
      throw new Error(`${e.message}\n${log}`);
    });
    step(`notifier ${notifierUrl}, SMTP sink on port ${smtp.port}`);
  }

  let seeded: SeedResult | undefined;
  if (!values['no-seed']) {
    const increaseTime = async (s: number) => {
      for (const [method, params] of [['evm_increaseTime', [s]], ['evm_mine', []]] as const) {
        await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
      }
    };
    // @satoshi's inbox opens on the demo's own origins (the sites stored in its profile).
    const sites = [`http://127.0.0.1:${values.port}`, `http://localhost:${values.port}`];
    seeded = await seedDemo({ chain, rpcUrl: anvil.rpcUrl, contract, accounts, increaseTime, sites });
    step(`seeded @satoshi (10 ONE, 7 days): ${Object.entries(seeded.states).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }

  step(`widget ${(await building) === 'fresh' ? 'up to date' : 'built'} (cdn/)`);
  const server = await startDemoServer({
    port: Number(values.port),
    // The seeded accounts' key backups (local demo only, public like the dev keys): the demo's
    // wallet switcher restores them into the browser, as a user restores a backup.
    config: { rpcUrl: anvil.rpcUrl, chainId: local.id, contract, notifierUrl, backups: seeded?.backups ?? {}, backupPassphrase: DEMO_PASSPHRASE },
    mails,
  });
  stops.push(() => server.close());

  console.log('\nFunded dev accounts (anvil\'s well-known keys — local use only):');
  const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
  const roles = ['deployer / fee recipient', '@satoshi', '@satoshi-admirer', 'bob', 'carol', 'dave'];
  for (const [i, a] of accounts.slice(0, roles.length).entries()) {
    console.log(`  #${i} ${a.address}  ${toOneAddress(a.address)}  ${formatEther(await pub.getBalance({ address: a.address }))} ONE  ${roles[i]}`);
  }
  console.log(`\nReady in ${((Date.now() - t0) / 1000).toFixed(1)} s. Open:\n\n    ${server.url}/demo/\n\nCtrl-C stops everything.`);
} catch (e) {
  // After Ctrl-C, what was cut short fails on its way out: that is no news.
  if (!stopping) console.error(e instanceof Error ? e.message : e);
  await shutdown(1);
}
