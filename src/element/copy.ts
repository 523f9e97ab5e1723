/**
 * The user-facing strings of `<harmony-paid-chat>`, part 1 of 2: what shows before the first click
 * (the card, the connect button, the claim form). Part 2, `copy-connected.ts`, holds every string
 * of the connected views and extends this object; it loads with them, after the first click, which
 * keeps the first load within its budget (≤ 20 KB gzip). Views and controllers never write prose
 * inline: they call these. Texts that come from the SDK (an error's `message`) are shown as they
 * are: they already say what happened and what to do.
 */
import { at, describeWindow, ones } from './format.js';

export const copy = {
  // ---------------------------------------------------------------- card (first load)
  card: {
    label: (handle: string) => (handle ? `Paid inbox of ${at(handle)}` : 'Paid inbox'),
    loading: 'Loading…',
    fallbackTitle: 'Paid inbox',
    free: 'Free',
    toMessage: ' to message',
    perMessage: ' per message',
    repliesWithin: (window: number) => ` · replies within ${describeWindow(window)}`,
    followUps: (price: bigint) => ` · follow-ups ${ones(price)}`,
    promiseFree: (handle: string, window: number) => `Anything you add is refunded if ${at(handle)} doesn't reply within ${describeWindow(window)}.`,
    promise: (handle: string, window: number, price: bigint) =>
      `Refunded if ${at(handle)} doesn't reply within ${describeWindow(window)}: you take your ${ones(price)} back here.`,
    tryAgain: 'Try again',
    noHandle: 'This inbox has no handle yet: set the handle attribute, like handle="@satoshi".',
    retrying: (seconds: number, attempt: number, attempts: number) => `Can't reach the network, retrying in ${seconds} s… (attempt ${attempt} of ${attempts})`,
    lazyFailed: "Couldn't load the wallet code. Check your connection and try again.",
  },
  connect: {
    button: 'Connect wallet to write',
    busy: 'Connecting…',
    ownerHint: (handle: string) => `Own ${at(handle)}? Connect that wallet to open your inbox.`,
  },
  claim: {
    title: (handle: string) => `${at(handle)} is free — claim it`,
    nobody: (chainName: string) => `Nobody holds this handle on ${chainName} yet.`,
    intro: (handle: string) =>
      `Claim ${at(handle)} and anyone can send you a paid message. You choose the price and how long you have to reply; messages you don't answer in time are refunded.`,
    price: 'Price per message (ONE)',
    window: 'Reply window',
    windowUnit: 'Reply window unit',
    days: 'days',
    hours: 'hours',
    passphrase: 'Backup passphrase',
    passphraseConfirm: 'Passphrase again',
    passphraseHint: (min: number) =>
      `Your inbox key is made in this browser and sealed with this passphrase (at least ${min} characters; a few unrelated words are easy to remember). With the backup file it restores your inbox in another browser. Nobody can reset it.`,
    priceProblem: 'Enter a price in ONE, like 10 or 0.5 (0 is allowed).',
    windowProblem: 'The reply window must be a whole number between 1 hour and 30 days.',
    button: (handle: string) => `Claim ${at(handle)}`,
    connectAndClaim: (handle: string) => `Connect wallet and claim ${at(handle)}`,
    busyConfirm: 'Confirm in your wallet…',
    busyClaiming: 'Claiming…',
    busySealing: 'Sealing your key…',
    busyConnecting: 'Connecting…',
    sealing: 'Sealing your new inbox key with your passphrase (this takes a moment)…',
    prompt: 'Confirm the claim in your wallet (you pay only gas). No signature is needed for your keys.',
    sending: 'Claiming your handle…',
    done: (handle: string) => `${at(handle)} is yours. Download your key backup below, then share this page: people can now send you paid messages.`,
  },
  passphrase: {
    tooShort: (min: number) => `Use at least ${min} characters.`,
    mismatch: 'The two passphrases differ.',
    alreadySet: 'A backup passphrase is already set for this wallet in this browser: enter that one.',
  },
};
