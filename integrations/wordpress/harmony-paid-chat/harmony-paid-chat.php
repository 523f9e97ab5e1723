<?php
/**
 * Plugin Name:       Harmony Paid Chat
 * Description:       A paid, end-to-end encrypted inbox on the Harmony blockchain. Shortcode: [harmony_paid_chat handle="@satoshi"]
 * Version:           0.1.0
 * Requires at least: 6.5
 * Requires PHP:      7.4
 * Author:            Harmony Paid Chat contributors
 * License:           MIT
 * License URI:       https://opensource.org/licenses/MIT
 * Text Domain:       harmony-paid-chat
 *
 * The shortcode prints the <harmony-paid-chat> element and loads its module script, once per page,
 * from this plugin's own js/ folder (filter `harmony_paid_chat_script_url` to load it elsewhere).
 * Every attribute is validated and escaped; nothing else is added to the page.
 *
 * @package HarmonyPaidChat
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

const HARMONY_PAID_CHAT_VERSION = '0.1.0';
/** Oldest WordPress this plugin runs on: script modules (wp_enqueue_script_module) arrived in 6.5. */
const HARMONY_PAID_CHAT_MIN_WP = '6.5';

/** True when this WordPress can run the plugin. */
function harmony_paid_chat_supported() {
	return version_compare( get_bloginfo( 'version' ), HARMONY_PAID_CHAT_MIN_WP, '>=' ) && function_exists( 'wp_enqueue_script_module' );
}

/**
 * URL of the element's module script: the copy inside this plugin. Filter
 * `harmony_paid_chat_script_url` to load it from somewhere else (your own CDN).
 */
function harmony_paid_chat_script_url() {
	return apply_filters( 'harmony_paid_chat_script_url', plugins_url( 'js/harmony-paid-chat.js', __FILE__ ) );
}

/** A short note that only people who can edit posts see; visitors get nothing. */
function harmony_paid_chat_editor_note( $text ) {
	if ( ! current_user_can( 'edit_posts' ) ) {
		return '';
	}
	return '<p class="harmony-paid-chat-note"><strong>' . esc_html__( 'Harmony Paid Chat:', 'harmony-paid-chat' ) . '</strong> ' . esc_html( $text ) . '</p>';
}

/**
 * Renders [harmony_paid_chat handle="@satoshi" chain="harmony" theme="auto" rpc_url="…" contract="…" notifier_url="…"
 * walletconnect_project_id="…"].
 * An invalid handle renders a short notice for editors instead of a broken widget.
 */
function harmony_paid_chat_shortcode( $atts ) {
	if ( ! harmony_paid_chat_supported() ) {
		return harmony_paid_chat_editor_note(
			/* translators: %s: the oldest supported WordPress version, like 6.5 */
			sprintf( __( 'this plugin needs WordPress %s or later. Update WordPress to show the chat.', 'harmony-paid-chat' ), HARMONY_PAID_CHAT_MIN_WP )
		);
	}
	$atts = shortcode_atts(
		array(
			'handle'       => '',
			'chain'        => 'harmony',
			'theme'        => 'light',
			'rpc_url'      => '',
			'contract'     => '',
			'notifier_url' => '',
			// A WalletConnect Cloud project id (32 hex characters): offers wallet apps on phones.
			'walletconnect_project_id' => '',
		),
		$atts,
		'harmony_paid_chat'
	);

	$handle = strtolower( ltrim( trim( (string) $atts['handle'] ), '@' ) );
	if ( ! preg_match( '/^[a-z0-9][a-z0-9_-]{2,31}$/', $handle ) ) {
		return harmony_paid_chat_editor_note(
			__( 'set a valid handle, like [harmony_paid_chat handle="@satoshi"] (3–32 characters a-z, 0-9, _ or -).', 'harmony-paid-chat' )
		);
	}
	$chain = in_array( $atts['chain'], array( 'harmony', 'harmony-testnet', 'local' ), true ) ? $atts['chain'] : 'harmony';
	$theme = in_array( $atts['theme'], array( 'light', 'dark', 'auto' ), true ) ? $atts['theme'] : 'light';

	$html = '<harmony-paid-chat handle="@' . esc_attr( $handle ) . '" chain="' . esc_attr( $chain ) . '" theme="' . esc_attr( $theme ) . '"';
	foreach ( array( 'rpc_url' => 'rpc-url', 'notifier_url' => 'notifier-url' ) as $key => $attr ) {
		$url = esc_url( $atts[ $key ], array( 'https', 'http' ) );
		if ( '' !== $url ) {
			$html .= ' ' . $attr . '="' . esc_attr( $url ) . '"';
		}
	}
	if ( preg_match( '/^(0x[0-9a-fA-F]{40}|one1[02-9ac-hj-np-z]{38})$/', (string) $atts['contract'] ) ) {
		$html .= ' contract="' . esc_attr( $atts['contract'] ) . '"';
	}
	if ( preg_match( '/^[0-9a-fA-F]{32}\z/', (string) $atts['walletconnect_project_id'] ) ) {
		$html .= ' walletconnect-project-id="' . esc_attr( $atts['walletconnect_project_id'] ) . '"';
	}
	$html .= '></harmony-paid-chat>';

	// Loaded once however many shortcodes the page has, as a module (WordPress 6.5+ script modules).
	wp_enqueue_script_module( 'harmony-paid-chat', harmony_paid_chat_script_url(), array(), HARMONY_PAID_CHAT_VERSION );
	return $html;
}

/** On WordPress older than supported: say so in the admin, once, and change nothing else. */
function harmony_paid_chat_admin_notice() {
	if ( harmony_paid_chat_supported() || ! current_user_can( 'activate_plugins' ) ) {
		return;
	}
	printf(
		'<div class="notice notice-error"><p>%s</p></div>',
		esc_html(
			sprintf(
				/* translators: 1: the oldest supported WordPress version, 2: this site's WordPress version */
				__( 'Harmony Paid Chat needs WordPress %1$s or later; this site runs %2$s. The chat stays hidden until WordPress is updated.', 'harmony-paid-chat' ),
				HARMONY_PAID_CHAT_MIN_WP,
				get_bloginfo( 'version' )
			)
		)
	);
}

add_shortcode( 'harmony_paid_chat', 'harmony_paid_chat_shortcode' );
add_action( 'admin_notices', 'harmony_paid_chat_admin_notice' );
