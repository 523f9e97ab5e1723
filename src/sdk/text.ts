/**
 * Message text rules: at most {@link MAX_MESSAGE_BYTES} bytes of UTF-8, not blank, never altered.
 *
 * The limit is in bytes, not characters, because bytes are what the envelope carries and what gas
 * is paid for: 'a' is 1 byte, 'é' 2, '中' 3, '😀' 4, and a combining mark counts on its own
 * ('e' + U+0301 is 3 bytes). The text is never normalised (NFC/NFKC), trimmed or otherwise changed:
 * what the sender typed is what the reader sees.
 */
import { PaidChatError } from './errors.js';

/** Most bytes of UTF-8 one message or reply may hold. */
export const MAX_MESSAGE_BYTES = 140;

const encoder = new TextEncoder();
/** `fatal`: invalid UTF-8 throws instead of turning into U+FFFD; `ignoreBOM`: a leading U+FEFF is kept. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Blank means: only whitespace (anything `String.prototype.trim` removes) and invisible
 * zero-width characters (U+200B ZERO WIDTH SPACE, U+200C/U+200D joiners, U+2060 WORD JOINER,
 * U+FEFF BOM). Such a message would look empty to the reader.
 */
const BLANK = /^[\s\u200B\u200C\u200D\u2060\uFEFF]*$/u;

/**
 * Number of bytes `text` takes in UTF-8, counted as given (no normalisation).
 * An unpaired UTF-16 surrogate counts 3 bytes, as the encoder would write U+FFFD for it;
 * {@link encodeMessageText} refuses such text instead.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Index of the first unpaired UTF-16 surrogate in `text`, or -1 when the text is well formed. */
function firstLoneSurrogate(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/**
 * Checks a message the user wants to send and returns its exact UTF-8 bytes.
 *
 * @throws PaidChatError `MESSAGE_EMPTY` when the text is empty or only whitespace / zero-width characters.
 * @throws PaidChatError `MESSAGE_TOO_LONG` with details `{ bytes, max }` when it is over {@link MAX_MESSAGE_BYTES} bytes.
 * @throws PaidChatError `ENVELOPE_INVALID` with details `{ reason: 'unpaired-surrogate', index }` when the
 *   string holds a broken character (an unpaired UTF-16 surrogate) that UTF-8 cannot represent
 *   without changing it.
 */
export function encodeMessageText(text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new PaidChatError('MESSAGE_EMPTY', 'There is no message text to send. Type a message first.', {
      received: typeof text,
    });
  }
  if (BLANK.test(text)) {
    throw new PaidChatError(
      'MESSAGE_EMPTY',
      text.length === 0
        ? 'The message is empty. Type a message before sending.'
        : 'The message contains only spaces or invisible characters. Type some visible text before sending.',
      { bytes: utf8Length(text) },
    );
  }
  const bad = firstLoneSurrogate(text);
  if (bad !== -1) {
    throw new PaidChatError(
      'ENVELOPE_INVALID',
      `The message contains a broken character at position ${bad} (an unpaired UTF-16 surrogate, often ` +
        'half of an emoji cut by copy-and-paste) that cannot be sent without changing it. Delete or retype that character.',
      { reason: 'unpaired-surrogate', index: bad },
    );
  }
  const bytes = encoder.encode(text);
  if (bytes.length > MAX_MESSAGE_BYTES) {
    const over = bytes.length - MAX_MESSAGE_BYTES;
    throw new PaidChatError(
      'MESSAGE_TOO_LONG',
      `This message is ${bytes.length} bytes of UTF-8; the limit is ${MAX_MESSAGE_BYTES}. ` +
        `Shorten it by ${over} byte${over === 1 ? '' : 's'} (emoji take 4 bytes, most accented letters 2, CJK characters 3).`,
      { bytes: bytes.length, max: MAX_MESSAGE_BYTES },
    );
  }
  return bytes;
}

/**
 * Decodes message bytes (e.g. a decrypted envelope body) as strict UTF-8. Nothing is replaced or
 * stripped (a leading BOM is kept). No length rule is applied here.
 *
 * @throws PaidChatError `ENVELOPE_INVALID` when the bytes are not valid UTF-8.
 */
export function decodeMessageText(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new PaidChatError(
      'ENVELOPE_INVALID',
      'The message text is not valid UTF-8, so it was not shown. It was probably written by an ' +
        'incompatible or faulty app; ask the sender to send it again from this app.',
      { reason: 'bad-utf8', bytes: bytes.length },
      { cause },
    );
  }
}
