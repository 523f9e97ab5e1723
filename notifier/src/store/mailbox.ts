/**
 * Email addresses as mailboxes: what the per-recipient cap counts and what an unsubscribe removes.
 */

/**
 * The mailbox an address reaches, as far as the notifier can tell: lower-cased, without a `+tag` in
 * the local part (most providers deliver `name+anything@` to `name@`), and for Gmail without dots
 * (`j.doe@` is `jdoe@`; googlemail.com is gmail.com). Used to count confirmation emails per
 * recipient, so that plus-addresses cannot multiply the cap.
 */
export function canonicalEmail(email: string): string {
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0) return lower;
  let local = lower.slice(0, at);
  let domain = lower.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'gmail.com' || domain === 'googlemail.com') {
    domain = 'gmail.com';
    local = local.replaceAll('.', '');
  }
  return `${local}@${domain}`;
}

/** The domains whose addresses may reach the same mailbox as `email` (SQL pre-filter; canonicalEmail decides). */
export function mailboxDomains(email: string): string[] {
  const domain = canonicalEmail(email).split('@').pop() ?? '';
  return domain === 'gmail.com' ? ['gmail.com', 'googlemail.com'] : [domain];
}
