/**
 * The user-facing strings of `<harmony-paid-chat>`, part 2 of 2: everything after the first click
 * (wallet and network, progress, composer, conversation, inbox, settings, email, keys). It extends
 * part 1 (`copy.ts`, the first load), so the connected code uses one `copy` object for all of them.
 */
import { copy as firstLoad } from './copy.js';
import { at, describeTimeLeft, ones, plural } from './format.js';

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

export const copy = {
  ...firstLoad,
  connect: {
    ...firstLoad.connect,
    connecting: 'Connecting to your wallet…',
    noWallet: 'No wallet found. Install a wallet such as MetaMask to send a paid message.',
    asCreator: (account: string, handle: string) => `Connected as ${short(account)}, the owner of ${at(handle)}.`,
    asClaimer: (account: string) => `Connected as ${short(account)}.`,
    asVisitor: (account: string) => `Connected as ${short(account)}. Write your message below.`,
    disconnected: 'Your wallet disconnected.',
    account: 'Connected: ',
    disconnect: 'Disconnect',
  },
  // ---------------------------------------------------------------- wallet and network
  wallet: {
    needOne: 'To send or receive paid messages you need a crypto wallet that works with Harmony.',
    noneHerePhone: 'This browser has no wallet. Open this page in your wallet app, where its browser brings the wallet:',
    openIn: (name: string) => `Open in ${name}`,
    walletConnect: 'Connect a wallet app (WalletConnect)',
    walletConnectHintPhone: 'Or keep this browser and connect the wallet app on this phone through WalletConnect.',
    walletConnectHint: 'Or connect a wallet app on your phone: WalletConnect shows a code to scan.',
    getMetaMask: 'Get MetaMask',
    getMetaMaskAfter: ' (free browser extension and app), add some ONE, then come back and connect.',
    tryAgain: 'Try again',
    wrongChain: (chainId: number | undefined, handle: string, chainName: string) =>
      `Your wallet is on another network${chainId ? ` (chain ${chainId})` : ''}. ${at(handle)}'s inbox is on ${chainName}.`,
    switchTo: (chainName: string) => `Switch to ${chainName}`,
    confirmInWallet: 'Confirm in your wallet…',
    confirmSwitch: (chainName: string) => `Confirm the switch to ${chainName} in your wallet.`,
    switched: (chainName: string) => `Switched to ${chainName}.`,
    onChainNow: (chainName: string) => `Your wallet is on ${chainName} now.`,
    onOtherChain: (chainId: number, chainName: string) => `Your wallet is on another network (chain ${chainId}). Switch to ${chainName} to continue.`,
    switchedAway: (chainName: string) => `Your wallet switched to another network. Switch back to ${chainName} to continue.`,
  },

  // ---------------------------------------------------------------- prompts and progress
  progress: {
    prompt: (action: string): string =>
      ({
        send: 'Confirm the payment in your wallet.',
        reply: 'Confirm the reply in your wallet (you pay only gas).',
        refund: 'Confirm the refund in your wallet (you pay only gas).',
        claim: 'Confirm the claim in your wallet (you pay only gas).',
        settings: 'Confirm the new settings in your wallet (you pay only gas).',
        sites: 'Confirm the new list of sites in your wallet (you pay only gas).',
        rotate: 'Confirm the new inbox key in your wallet (you pay only gas).',
        'follow-up': 'Confirm the follow-up in your wallet.',
        'close-thread': 'Confirm closing the conversation in your wallet (you pay only gas).',
        block: 'Confirm in your wallet (you pay only gas): the block is kept on chain.',
        hide: 'Confirm in your wallet (you pay only gas): hiding is kept on chain.',
        email: 'Sign in your wallet to confirm your email subscription (free, no transaction).',
      })[action] ?? 'Confirm in your wallet.',
    signature: 'Sign in your wallet (free, no transaction).',
    sending: (action: string): string =>
      ({
        send: 'Sending… waiting for the network to include your message.',
        reply: 'Sending your reply…',
        refund: 'Taking your refund…',
        claim: 'Claiming your handle…',
        settings: 'Saving your settings…',
        sites: 'Saving your sites…',
        rotate: 'Registering your new inbox key…',
        'follow-up': 'Sending your follow-up…',
        'close-thread': 'Closing the conversation…',
        block: 'Saving the block…',
        hide: 'Saving…',
      })[action] ?? 'Waiting for the network…',
    loading: 'Loading…',
  },

  // ---------------------------------------------------------------- visitor
  composer: {
    title: (handle: string) => `Write to ${at(handle)}`,
    label: 'Your message',
    bytes: (n: number, max: number) => `${n} / ${max} bytes`,
    over: (bytes: number, over: number, max: number) =>
      `${bytes} bytes is ${plural(over, 'byte')} over the ${max}-byte limit. Shorten it by ${plural(over, 'byte')} to send (an emoji takes 4 bytes).`,
    amount: 'Amount (ONE)',
    amountHint: (price: bigint) => `At least ${ones(price)}. More is a tip.`,
    amountInvalid: (text: string) => `"${text}" is not an amount of ONE. Use digits, like 10 or 12.5.`,
    amountTooLow: (handle: string, price: bigint, wei: bigint) => `${at(handle)} asks at least ${ones(price)}; ${ones(wei)} is too little.`,
    send: (amount: string) => (amount ? `Send ${amount} ONE` : 'Send'),
    sending: 'Sending…',
    noKey: (handle: string) => `${at(handle)} has not set up messaging yet, so nobody can write to them for now.`,
    confirmPayment: (amount: bigint) => `Confirm the payment of ${ones(amount)} in your wallet. No signature is needed: your key for this conversation is made in this browser.`,
    delivered: (handle: string, amount: bigint) =>
      `Delivered to ${at(handle)}. ${ones(amount)} is held until they reply, or comes back to you if they don't within the reply window.`,
    stepsLabel: 'Progress',
    stepConfirm: 'Confirm in your wallet',
    stepSending: 'Sending',
    stepDelivered: 'Delivered',
    done: ' (done)',
    receipt: (handle: string, amount: bigint) => `Delivered to ${at(handle)} with ${ones(amount)}. `,
    viewTx: 'View the transaction',
    tx: 'Transaction ',
  },
  conversation: {
    title: (handle: string) => `Your conversation with ${at(handle)}`,
    listLabel: (who: string) => `Messages with ${who}, oldest first`,
    followUpTitle: (handle: string) => `Write to ${at(handle)} again`,
    followUpNote: (handle: string, price: bigint) =>
      price === 0n
        ? `${at(handle)} answered, so this conversation is open: a follow-up costs only gas.`
        : `${at(handle)} answered, so this conversation is open: a follow-up costs ${ones(price)}, paid to ${at(handle)} at once (not held, not refundable).`,
    followUpPaid: (amount: string) => `Follow-up · ${amount} paid`,
    sendFollowUp: (price: bigint) => (price === 0n ? 'Send follow-up' : `Send follow-up (${ones(price)})`),
    preferPaid: 'Send a paid message instead (held until answered, refunded if not)',
    preferFollowUp: 'Write a follow-up instead',
    stateOpen: 'Open: either of you can write follow-ups.',
    stateClosed: (handle: string) => `Closed for follow-ups. A new paid message opens it again once ${at(handle)} replies.`,
    stateClosedCreator: 'Closed for follow-ups. It opens again when you reply to a new paid message.',
    stateWaiting: (handle: string) => `Follow-ups open once ${at(handle)} replies to a paid message.`,
    stateWaitingCreator: 'Follow-ups open once you reply to a paid message.',
    blockedNotice: (handle: string) =>
      `${at(handle)} does not accept messages from this wallet. Nothing can be sent from it here, and nothing was charged. Messages you already sent keep their rules: you can still take a refund when their window ends.`,
    blockedCreator: 'You block this sender: their new paid messages and follow-ups are refused before they pay.',
    creatorTitle: (who: string) => `Conversation with ${who}`,
    empty: (handle: string) => `You have not written to ${at(handle)} yet.`,
    theyReplied: (handle: string) => `${at(handle)} replied:`,
    youReplied: 'You replied:',
    you: 'You',
    followUpLabel: 'Your follow-up',
    followUpCreator: 'Your follow-ups cost only gas.',
    followUpSent: (amount: bigint) => (amount === 0n ? 'Follow-up sent.' : `Follow-up sent with ${ones(amount)}.`),
    close: 'Close conversation',
    closedNow: 'Conversation closed for follow-ups.',
    more: 'Load older entries',
    open: (n: number) => (n ? `Conversation (${plural(n, 'follow-up')})` : 'Conversation'),
    hide: 'Hide conversation',
    replied: (handle: string) => `${at(handle)} replied to your message.`,
  },
  status: {
    escrowMine: 'In escrow, waiting for a reply',
    escrow: 'In escrow',
    timeLeft: (seconds: number) => (seconds > 0 ? `${describeTimeLeft(seconds)} left` : 'window closing'),
    replySoon: ' — reply soon',
    answered: 'Answered',
    refundableMine: 'Not answered in time — refundable',
    refundable: 'Not answered in time',
    refunded: 'Refunded',
    refundButton: (amount: bigint) => `Get refund of ${ones(amount)}`,
    refunding: 'Refunding…',
    refunded_: (amount: bigint) => `Refunded: ${ones(amount)} is back in your wallet.`,
  },
  /** Why a text is not shown: one honest label per read state (the SDK's message follows it). */
  readState: {
    keyNotHeldInbox: (keyId: number | undefined) =>
      `Sealed to your inbox key${keyId ? ` #${keyId}` : ''}, which this browser does not hold: restore a backup that has it to read this.`,
    keyNotHeldConversation: "Sealed with a conversation key this browser does not hold (made in another browser, or lost): restore a backup that has it to read this.",
    newerVersion: 'Written with a newer version of this app: update the page (or the app) to read it.',
    unreadable: (why: string) => `This text could not be read: ${why}`,
    notParty: 'Only the two people in this conversation can read this.',
    damaged: 'it is damaged.',
  },

  // ---------------------------------------------------------------- live updates
  live: {
    lost: "Lost the connection to the network. New messages will show when it is back; retrying…",
    back: 'Connected again. Up to date.',
    offline: (seconds: number, failures: number) =>
      `Can't reach the network (${plural(failures, 'attempt')} failed). Retrying ${seconds > 0 ? `in ${seconds} s` : 'now'}… What you see may be out of date.`,
    retryNow: 'Retry now',
    followUpFrom: (who: string) => `New follow-up from ${who}.`,
  },

  // ---------------------------------------------------------------- creator
  inbox: {
    title: (handle: string) => `Inbox of ${at(handle)}`,
    earned: 'Earned ',
    held: 'Held ',
    inWaiting: (n: number) => ` in ${plural(n, 'waiting message')}`,
    empty: 'No messages yet. Share this page so people can write to you.',
    more: 'Load older messages',
    verified: 'Verified sender',
    verifiedTitle: 'Sealed with the key this sender’s messages carry, and sent from their address',
    address: (hex: string, one: string) => `, address ${hex}, ${one}`,
    replyTo: (who: string) => `Reply to ${who}`,
    replyButton: (payout: bigint) => `Reply and collect ${ones(payout)}`,
    replying: 'Sending…',
    replied: (payout: bigint) => `Reply sent. ${ones(payout)} is yours.`,
    newMessage: (amount: bigint) => `New message with ${ones(amount)}.`,
    listLabel: 'Messages',
    loaded: (n: number) => `${plural(n, 'message')}.`,
  },
  moderation: {
    tools: 'Inbox view',
    sort: 'Sort',
    sortNewest: 'Newest first',
    sortAmount: 'Amount paid',
    sortTimeLeft: 'Time left to reply',
    unanswered: 'Unanswered only',
    showHidden: (n: number) => `Show hidden (${n})`,
    shownOf: (shown: number, total: number, more: boolean) =>
      `Showing ${shown} of ${plural(total, 'loaded message')}${more ? '; load older messages to include them' : ''}.`,
    noneShown: 'No message matches this view.',
    replyInConversation: 'Reply to it in the open conversation with this sender.',
    blockAddress: 'Block or unblock an address',
    blockAddressHint: 'Any address (0x… or one1…), also one that is not in your inbox. A blocked address’s paid messages and follow-ups are refused before anything is paid; messages already sent keep their rules.',
    blockAddressButton: 'Block',
    unblockAddressButton: 'Unblock',
    block: 'Block sender',
    unblock: 'Unblock sender',
    hide: 'Hide',
    unhide: 'Unhide',
    fromWho: (who: string) => ` (the message from ${who})`,
    whoIs: (who: string) => ` (${who})`,
    blockedBadge: 'Blocked',
    hiddenBadge: 'Hidden',
    blocked: (who: string) =>
      `${who} is blocked: their new paid messages and follow-ups are refused before they pay. Messages already sent keep their rules (you can still reply; unanswered ones are refunded to them).`,
    unblocked: (who: string) => `${who} can write to you again.`,
    hidden: (n: number) => `Message hidden (${plural(n, 'hidden message')}; "Show hidden" brings them back). Its coins follow the usual rules.`,
    unhidden: 'Message shown again in your inbox.',
    sorted: (sort: string, n: number) =>
      `Sorted by ${sort === 'amount' ? 'amount paid' : sort === 'time-left' ? 'time left to reply' : 'newest first'}, ${plural(n, 'message')} shown.`,
    shown: (shown: number, total: number) => `${shown} of ${plural(total, 'message')} shown.`,
    showingHidden: (n: number) => `Showing ${plural(n, 'hidden message')}.`,
    hidingHidden: (n: number) => `${plural(n, 'hidden message')} out of view.`,
  },
  site: {
    notAllowed: (sites: string[], origin: string) =>
      sites.length
        ? `Your inbox opens only on your sites: ${sites.join(', ')}. This page (${origin}) is not one of them, so nothing here can read your messages, make keys or restore them. Open your inbox on one of your sites.`
        : `Your profile lists no site where your inbox opens, so this page (${origin}) cannot read your messages. Add your site from a page where your inbox opens.`,
  },
  inboxKey: {
    notHeldOther: (current: number, held: number[]) =>
      `Your current inbox key #${current} is not in this browser (this browser holds ${held.map((k) => `#${k}`).join(', ')}). Either it was made in another browser, or someone who controls your wallet replaced it. New messages are sealed to #${current}: restore a backup that has it, or make a new key here (what was sealed to #${current} then stays readable only where #${current} is kept).`,
    notHeldNone: (current: number) =>
      `This browser holds none of your inbox keys (the current one is #${current}). Restore your key backup to read your messages here. If you lost it, make a new key: new messages will be readable, older ones stay sealed to the lost key.`,
    noKey: 'Your handle has no inbox key yet: make one so that people can write to you.',
    pending: 'A key made here is waiting for its transaction to be confirmed.',
    rotated: (keyId: number) => `New inbox key #${keyId} registered. Messages from now on are sealed to it. Make a new backup: the old file does not have it.`,
  },
  settings: {
    summary: 'Settings',
    price: 'Price per message (ONE)',
    window: 'Reply window',
    windowHint: 'Between 1 hour and 30 days. Messages already sent keep their deadline.',
    followUpPrice: 'Price of a follow-up (ONE)',
    followUpHint: 'What a visitor pays to write again in an answered conversation (0 = gas only).',
    save: 'Save settings',
    saving: 'Saving…',
    saved: 'Settings saved.',
    priceInvalid: (text: string) => `"${text}" is not an amount of ONE. Use digits, like 10 or 0.5.`,
    sites: 'Sites where your inbox opens',
    sitesHint: 'One web address per line, like https://example.com. Keys for your inbox are kept and used only on these sites.',
    saveSites: 'Save sites',
    sitesSaved: 'Sites saved.',
  },
  email: {
    label: 'Email me about new messages',
    hint: 'You sign once to prove you own this address; the email stays with the notification service, never on chain.',
    visitorLabel: (handle: string) => `Email me when @${handle} replies`,
    visitorHint: 'Also when they follow up, and when your coins come back after the reply window. You sign once to prove you own this address; no transaction, nothing on chain.',
    button: 'Email me',
    busy: 'Confirm in your wallet…',
    sent: (email: string) => `Confirmation sent to ${email}.`,
    checkInbox: (email: string) => `Check ${email}: open the link in the email we sent and press Confirm.`,
    invalid: (problem: string) => `${problem} Check the email address and try again.`,
    unreachable: "Can't reach the notification service. Try again later.",
    refused: (why: string) => `The notification service refused the subscription: ${why}`,
  },

  // ---------------------------------------------------------------- keys
  keys: {
    toggle: 'Keys and backup',
    title: 'Keys and backup',
    close: 'Close',
    explainVisitor: (handle: string) =>
      `Your key for this conversation with ${at(handle)} lives only in this browser, on this site. It opens nothing else: other conversations have their own keys on their own sites.`,
    explainCreator: 'Your inbox keys live only in this browser, on your own sites. A backup file and its passphrase restore them in another browser.',
    statusPassphrase: (set: boolean) => (set ? 'Backup passphrase: set. Keys here are sealed to it and cannot be read out, only used.' : 'Backup passphrase: not set yet.'),
    statusKeys: (keys: number, notBackedUp: number) =>
      keys === 0 ? 'No key in this browser yet.' : `${plural(keys, 'key')} in this browser${notBackedUp ? `, ${notBackedUp} not in a backup yet` : ', all in your backup'}.`,
    statusInbox: (current: number, holds: boolean) =>
      current === 0 ? 'No inbox key on chain yet.' : `Current inbox key: #${current}${holds ? ' (in this browser).' : ' (not in this browser).'}`,
    statusConversation: (handle: string, held: number) =>
      held ? `Conversation key with ${at(handle)}: in this browser.` : `No conversation key with ${at(handle)} here yet: one is made when you send.`,
    passphraseTitle: (set: boolean) => (set ? 'Change the backup passphrase' : 'Set a backup passphrase'),
    currentPassphrase: 'Current passphrase',
    newPassphrase: 'New passphrase',
    confirmPassphrase: 'New passphrase again',
    setButton: (set: boolean) => (set ? 'Change passphrase' : 'Set passphrase'),
    sealingBusy: 'Sealing…',
    sealing: 'Sealing your keys with the passphrase (this takes a moment)…',
    passphraseSet: 'Passphrase set: your keys are sealed to it. Now make a backup file.',
    backupTitle: 'Backup file',
    backupNeedsPassphrase: 'Set a passphrase first: the backup file is sealed with it.',
    backupNothing: 'There is no key in this browser to back up yet.',
    backupButton: 'Make a backup file',
    backupReady: (n: number) => `Backup file ready (${plural(n, 'key')}). Download it and keep it with your passphrase.`,
    backupLink: (name: string) => `Download ${name}`,
    backupFileName: (handle: string, role: 'creator' | 'visitor') => `harmony-paid-chat-${role === 'creator' ? 'inbox' : 'conversation'}-${handle}.json`,
    restoreTitle: 'Restore from a backup file',
    restoreFile: 'Backup file',
    restoreChecking: 'Checking the file…',
    restoreSummary: (n: number, total: number) =>
      `This file holds ${plural(n, 'key')} for this page${total > n ? ` (and ${total - n} it keeps for other pages, which stay in the file)` : ''}. Enter its passphrase to restore.`,
    restorePassphrase: 'Passphrase of the backup',
    restoreButton: 'Restore',
    restoring: 'Restoring… (checking the passphrase takes a moment)',
    restored: (n: number, skipped: number) =>
      n === 0 ? 'Nothing new to restore: this browser already holds those keys.' : `Restored ${plural(n, 'key')}${skipped ? ` (${skipped} already here or for other pages)` : ''}. Reading your messages again…`,
    /** Shown in the passphrase, restore and rotate forms: keys are kept per site, so the site matters. */
    originNotice: (origin: string, creator: boolean, handle: string) =>
      `You are on ${origin}. Continue only if this is ${creator ? 'your own site' : `the site of ${at(handle)}`}: every page of this site can use the keys kept here.`,
    rotateTitle: 'Replace your inbox key',
    rotateHint:
      'Makes a new inbox key here and registers it on chain (a transaction). New messages are sealed to it; older ones stay readable wherever the old key is kept.',
    rotateButton: 'Make a new inbox key',
    signOutTitle: 'Sign out of this site',
    signOutHint: 'Forgets every key of this wallet in this browser, on this site.',
    signOutButton: 'Sign out of this site',
    signOutWarning: (n: number) =>
      `${plural(n, 'key')} here ${n === 1 ? 'is' : 'are'} not in a backup. Signing out forgets ${n === 1 ? 'it' : 'them'}, and what ${n === 1 ? 'it opens' : 'they open'} cannot be read again. Make a backup file first, or sign out anyway.`,
    signOutAnyway: 'Sign out anyway',
    keepKeys: 'Keep my keys',
    signedOut: 'Signed out of this site: its keys are forgotten in this browser.',
    hintTitle: "Back up this conversation's key",
    hint: (handle: string) =>
      `Your key for this conversation with ${at(handle)} is only in this browser. Without a backup, another browser (or a cleared one) cannot read this conversation or ${at(handle)}'s replies.`,
    hintButton: 'Back up now',
    hintDismiss: 'Not now',
    creatorHint: 'Your inbox key is not in a backup yet. Without one, a new or cleared browser cannot read your messages.',
  },
};
