/** LOCAL DEMO ONLY: points every widget on the page at the local chain and notifier of `npm start`. */
const config = (await (await fetch('/demo-config.json')).json()) as { rpcUrl: string; contract: string; notifierUrl?: string };
for (const el of document.querySelectorAll('harmony-paid-chat[data-demo]')) {
  el.setAttribute('rpc-url', config.rpcUrl);
  el.setAttribute('contract', config.contract);
  if (config.notifierUrl) el.setAttribute('notifier-url', config.notifierUrl);
}
export {};
