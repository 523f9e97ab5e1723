/**
 * Registers `<harmony-paid-chat>`. This is the entry a page loads (the CDN build's
 * `harmony-paid-chat.js`): safe to load twice — a tag that is already registered is left alone,
 * with a warning when another version registered it.
 */
import { HarmonyPaidChat } from './harmony-paid-chat.component.js';

export { HarmonyPaidChat };
export * from './events.js';

export const TAG_NAME = 'harmony-paid-chat';

/**
 * Defines the element unless the tag is taken. Returns the class registered for the tag (which may
 * be another copy's, when the script was loaded twice).
 */
export function defineHarmonyPaidChat(ctor: typeof HarmonyPaidChat = HarmonyPaidChat, tag: string = TAG_NAME): CustomElementConstructor {
  const registry = globalThis.customElements;
  if (!registry) return ctor; // no DOM (SSR, Node): nothing to register
  const existing = registry.get(tag);
  if (existing) {
    const version = (existing as unknown as { version?: string }).version;
    if (existing !== ctor && version !== ctor.version) {
      console.warn(
        `<${tag}> is already registered by version ${version ?? 'unknown'}; this copy (version ${ctor.version}) is not used. ` +
          'Load the script only once.',
      );
    }
    return existing;
  }
  registry.define(tag, ctor);
  return ctor;
}

defineHarmonyPaidChat();

declare global {
  interface HTMLElementTagNameMap {
    'harmony-paid-chat': HarmonyPaidChat;
  }
}
