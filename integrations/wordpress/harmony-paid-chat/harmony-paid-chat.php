<?php
/**
 * Plugin Name:       Harmony Paid Chat
 * Description:       A paid, end-to-end encrypted inbox on the Harmony blockchain. Shortcode: [harmony_paid_chat handle="@satoshi"]
 * Version:           0.1.0
 * Requires at least: 6.5
 * Requires PHP:      7.4
 * License:           MIT
 *
 * The shortcode prints the <harmony-paid-chat> element and loads its module script once per page.
 * Every attribute is validated and escaped; nothing else is added to the page.
 */

if (!defined('ABSPATH')) {
    exit;
}

const HARMONY_PAID_CHAT_VERSION = '0.1.0';

/** Where the element's script comes from; filter `harmony_paid_chat_script_url` to self-host it. */
function harmony_paid_chat_script_url() {
    $default = 'https://unpkg.com/harmony-paid-chat@' . HARMONY_PAID_CHAT_VERSION . '/cdn/harmony-paid-chat.js';
    return apply_filters('harmony_paid_chat_script_url', $default);
}

/**
 * Renders [harmony_paid_chat handle="@satoshi" chain="harmony" theme="auto" rpc_url="…" contract="…" notifier_url="…"].
 * An invalid handle renders a short notice for editors instead of a broken widget.
 */
function harmony_paid_chat_shortcode($atts) {
    $atts = shortcode_atts(
        array(
            'handle'       => '',
            'chain'        => 'harmony',
            'theme'        => 'light',
            'rpc_url'      => '',
            'contract'     => '',
            'notifier_url' => '',
        ),
        $atts,
        'harmony_paid_chat'
    );

    $handle = strtolower(ltrim(trim((string) $atts['handle']), '@'));
    if (!preg_match('/^[a-z0-9][a-z0-9_-]{2,31}$/', $handle)) {
        return current_user_can('edit_posts')
            ? '<p><strong>Harmony Paid Chat:</strong> set a valid handle, like [harmony_paid_chat handle="@satoshi"] (3–32 characters a-z, 0-9, _ or -).</p>'
            : '';
    }
    $chain = in_array($atts['chain'], array('harmony', 'harmony-testnet', 'local'), true) ? $atts['chain'] : 'harmony';
    $theme = in_array($atts['theme'], array('light', 'dark', 'auto'), true) ? $atts['theme'] : 'light';

    $html = '<harmony-paid-chat handle="@' . esc_attr($handle) . '" chain="' . esc_attr($chain) . '" theme="' . esc_attr($theme) . '"';
    foreach (array('rpc_url' => 'rpc-url', 'notifier_url' => 'notifier-url') as $key => $attr) {
        $url = esc_url($atts[$key], array('https', 'http'));
        if ($url !== '') {
            $html .= ' ' . $attr . '="' . esc_attr($url) . '"';
        }
    }
    if (preg_match('/^(0x[0-9a-fA-F]{40}|one1[02-9ac-hj-np-z]{38})$/', (string) $atts['contract'])) {
        $html .= ' contract="' . esc_attr($atts['contract']) . '"';
    }
    $html .= '></harmony-paid-chat>';

    // Loaded once however many shortcodes the page has, as a module (WordPress 6.5+ script modules).
    wp_enqueue_script_module('harmony-paid-chat', harmony_paid_chat_script_url(), array(), HARMONY_PAID_CHAT_VERSION);
    return $html;
}

add_shortcode('harmony_paid_chat', 'harmony_paid_chat_shortcode');
