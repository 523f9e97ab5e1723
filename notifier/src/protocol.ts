/**
 * The service's half of the protocol: limits only the service enforces. The shared half (the signed
 * text, error codes, request and answer types) is the SDK's `harmony-paid-chat` public API.
 */

/** Longest accepted time between Issued At and Expiration Time (told to clients in `/v1/health`). */
export const MAX_SIGNED_LIFETIME_SECONDS = 3_600;
/** @deprecated protocol 1's name. */
export const MAX_SUBSCRIPTION_LIFETIME_SECONDS = MAX_SIGNED_LIFETIME_SECONDS;
/** Requests may be dated this far in the future (clock skew between browser and service). */
export const CLOCK_SKEW_SECONDS = 60;
/** Largest request body the service reads. */
export const MAX_BODY_BYTES = 8 * 1024;
/** Longest signed message accepted. */
export const MAX_MESSAGE_CHARS = 3_000;
/** Longest signature accepted (contract wallets' signatures are longer than 65 bytes). */
export const MAX_SIGNATURE_BYTES = 2_048;
