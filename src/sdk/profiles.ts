/** The contract's `Profile` tuple (as viem decodes it) → the SDK's `Profile`. */
import type { Address } from 'viem';
import type { RawCardProfile } from './card.js';
import { bytes32ToHandle } from './handles.js';
import { parsePublicKey } from './keys.js';
import type { Profile } from './types.js';

/** The tuple `profileOf` / `profileOfHandle` return (the card reader decodes the same tuple by hand). */
export type RawProfile = RawCardProfile;

/** A key the chain holds but that is not a valid X25519 key reads as no key (`hasKey: false`). */
export function toProfile(raw: RawProfile, address: Address): Profile {
  let publicKey: Uint8Array | undefined;
  if (raw.keyId > 0) {
    try {
      publicKey = parsePublicKey(raw.key);
    } catch {
      publicKey = undefined;
    }
  }
  return {
    address,
    handle: bytes32ToHandle(raw.handle),
    price: raw.price,
    followUpPrice: raw.followUpPrice,
    window: Number(raw.window),
    keyId: raw.keyId,
    publicKey,
    hasKey: publicKey !== undefined,
    inboxCount: Number(raw.inboxCount),
  };
}
