/**
 * The service's half of a signed request: the EIP-4361 message is parsed and validated with
 * `viem/siwe`, must be exactly the text the SDK builds for this action (`notifierSignInMessage`),
 * must be bound to the request's Origin (scheme, domain and URI), and must be signed by its address —
 * an EOA (checked locally), or a contract wallet (EIP-1271, ERC-6492: checked on chain with viem's
 * `verifySiweMessage`, e.g. a Safe whose owner signed the SafeMessage).
 */
import { parseSiweMessage, validateSiweMessage, verifySiweMessage } from 'viem/siwe';
import { getAddress, isHex, recoverMessageAddress, type Address, type Hex, type PublicClient } from 'viem';
import { isValidNonce, notifierSignInMessage, type NotifierAction, type NotifierErrorCode } from 'harmony-paid-chat';
import { CLOCK_SKEW_SECONDS, MAX_MESSAGE_CHARS, MAX_SIGNATURE_BYTES, MAX_SIGNED_LIFETIME_SECONDS } from './protocol.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: NotifierErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface VerifiedRequest {
  address: Address;
  nonce: string;
  /** Unix ms when the signature stops being valid. */
  expiresAt: number;
  /** The site the person signed on (the request's origin). */
  origin: string;
}

/**
 * Checks a signed request for `action`. `origin` is the request's Origin header (null when absent).
 * Throws HttpError with the specific code; nothing is looked up in the database here.
 */
export async function verifySignedRequest(o: {
  body: Record<string, unknown>;
  origin: string | null;
  action: NotifierAction;
  notifierUri: string;
  chainId: number;
  reader: PublicClient;
  now?: number;
}): Promise<VerifiedRequest> {
  const { body } = o;
  const message = body.message;
  const signature = body.signature;
  if (typeof message !== 'string' || message.length === 0) throw new HttpError(400, 'field_missing', 'The field "message" (the signed EIP-4361 text) is missing.', { field: 'message' });
  if (typeof signature !== 'string') throw new HttpError(400, 'field_missing', 'The field "signature" is missing.', { field: 'signature' });
  if (message.length > MAX_MESSAGE_CHARS) throw new HttpError(400, 'message_invalid', `The message is longer than ${MAX_MESSAGE_CHARS} characters.`, { field: 'message' });
  if (!isHex(signature, { strict: true }) || signature.length < 4 || signature.length % 2 !== 0 || (signature.length - 2) / 2 > MAX_SIGNATURE_BYTES) {
    throw new HttpError(400, 'signature_malformed', `The signature must be 0x followed by an even number of hex digits (at most ${MAX_SIGNATURE_BYTES} bytes).`, { field: 'signature' });
  }
  const parsed = parseSiweMessage(message);
  if (!parsed.address || !parsed.domain || !parsed.uri || parsed.version !== '1' || parsed.chainId === undefined || !parsed.nonce) {
    throw new HttpError(400, 'message_invalid', 'The message is not an EIP-4361 (Sign-In with Ethereum) message: build it with notifierSignInMessage() from the harmony-paid-chat SDK.', { field: 'message' });
  }
  if (!isValidNonce(parsed.nonce)) throw new HttpError(400, 'nonce_invalid', 'The nonce must be 8 to 64 letters and digits.', { field: 'message' });
  const issuedAt = parsed.issuedAt?.getTime();
  const expiresAt = parsed.expirationTime?.getTime();
  if (issuedAt === undefined || Number.isNaN(issuedAt)) throw new HttpError(400, 'timestamp_invalid', 'The message needs an Issued At time (RFC 3339, e.g. 2026-01-02T03:04:05.000Z).', { field: 'message' });
  if (expiresAt === undefined || Number.isNaN(expiresAt)) throw new HttpError(400, 'timestamp_invalid', 'The message needs an Expiration Time (RFC 3339).', { field: 'message' });
  if (expiresAt <= issuedAt) throw new HttpError(400, 'timestamp_invalid', 'The Expiration Time must be later than Issued At.', { field: 'message' });

  // Bound to the page the request comes from.
  if (!o.origin || o.origin === 'null') {
    throw new HttpError(403, 'origin_mismatch', 'A signed request must come with the Origin header of the page it was signed on (browsers send it).');
  }
  let origin: URL;
  try {
    origin = new URL(o.origin);
  } catch {
    throw new HttpError(403, 'origin_mismatch', `The Origin header "${o.origin}" is not an origin.`);
  }
  let uriOrigin: string | undefined;
  try {
    uriOrigin = new URL(parsed.uri).origin;
  } catch {
    uriOrigin = undefined;
  }
  if (parsed.domain !== origin.host || parsed.scheme !== origin.protocol.slice(0, -1) || uriOrigin !== origin.origin) {
    throw new HttpError(403, 'origin_mismatch', `The message was made for ${parsed.scheme ?? '?'}://${parsed.domain} (URI ${parsed.uri}) but the request comes from ${origin.origin}.`, {
      messageDomain: parsed.domain,
      origin: origin.origin,
    });
  }
  if (parsed.chainId !== o.chainId) throw new HttpError(400, 'chain_mismatch', `This notifier serves chain ${o.chainId}, not ${parsed.chainId}.`, { expected: o.chainId, actual: parsed.chainId });
  const resources = parsed.resources ?? [];
  if (resources.length !== 1 || resources[0] !== o.notifierUri) {
    throw new HttpError(400, 'notifier_mismatch', `The message must name this notifier (${o.notifierUri}) as its one resource.`, { expected: o.notifierUri, actual: resources });
  }
  let expected: string;
  try {
    expected = notifierSignInMessage({
      origin: origin.origin,
      notifierUri: o.notifierUri,
      address: parsed.address,
      chainId: o.chainId,
      nonce: parsed.nonce,
      issuedAt: parsed.issuedAt!,
      expirationTime: parsed.expirationTime!,
      action: o.action,
    });
  } catch (e) {
    throw new HttpError(400, 'field_invalid', `The request cannot be signed as given: ${(e as Error).message}`);
  }
  if (expected !== message) {
    const statement = /\n\n([^\n]*)\n\nURI: /.exec(expected)?.[1];
    if (parsed.statement !== statement) {
      throw new HttpError(400, 'statement_mismatch', 'The signed statement does not say what this request asks for (see details.expected).', { expected: statement, actual: parsed.statement ?? null });
    }
    throw new HttpError(400, 'message_invalid', 'The message is not in the form the notifier expects: build it with notifierSignInMessage() from the harmony-paid-chat SDK.', { field: 'message' });
  }

  const now = o.now ?? Date.now();
  if (issuedAt > now + CLOCK_SKEW_SECONDS * 1000) {
    throw new HttpError(400, 'issued_in_future', `Issued At is in the future (more than ${CLOCK_SKEW_SECONDS} s ahead of the service's clock). Check your device's clock.`, {
      serverTime: new Date(now).toISOString(),
    });
  }
  if (expiresAt - issuedAt > MAX_SIGNED_LIFETIME_SECONDS * 1000) {
    throw new HttpError(400, 'lifetime_too_long', `A signed request may live at most ${MAX_SIGNED_LIFETIME_SECONDS} s from Issued At to Expiration Time.`, {
      maxLifetimeSeconds: MAX_SIGNED_LIFETIME_SECONDS,
    });
  }
  if (!validateSiweMessage({ message: parsed, domain: origin.host, scheme: origin.protocol.slice(0, -1), time: new Date(now) })) {
    throw new HttpError(400, 'expired', 'This signed request has expired. Sign a new one.', { expiresAt: parsed.expirationTime!.toISOString(), serverTime: new Date(now).toISOString() });
  }

  const address = getAddress(parsed.address);
  let valid = false;
  // An EOA's signature is checked here, without the chain.
  if (signature.length === 132) valid = await recoverMessageAddress({ message, signature: signature as Hex }).then((a) => a === address, () => false);
  if (!valid) {
    // A contract wallet (EIP-1271) or a not-yet-deployed one (ERC-6492): ask the chain.
    try {
      valid = await verifySiweMessage(o.reader, { message, signature: signature as Hex, domain: origin.host, scheme: origin.protocol.slice(0, -1), time: new Date(now) });
    } catch (e) {
      throw new HttpError(503, 'chain_unavailable', `The signature could not be checked on chain right now (${String((e as { shortMessage?: string })?.shortMessage ?? (e as Error)?.message ?? e).slice(0, 120)}). Try again.`);
    }
  }
  if (!valid) {
    throw new HttpError(401, 'signature_invalid', `The signature was not made by ${address} over exactly this message (an EOA's signature, or a contract wallet's EIP-1271 approval).`);
  }
  return { address, nonce: parsed.nonce, expiresAt, origin: origin.origin };
}
