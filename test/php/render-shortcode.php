<?php
// Renders the plugin's shortcode outside WordPress (which cannot run here: it needs a database
// server), with the handful of WordPress functions it calls implemented as WordPress does.
// Usage: php render-shortcode.php '<json attrs list>'  → JSON { outputs, enqueued }
define('ABSPATH', __DIR__);
$GLOBALS['shortcodes'] = array();
$GLOBALS['enqueued'] = array();
function add_shortcode($tag, $cb) { $GLOBALS['shortcodes'][$tag] = $cb; }
function shortcode_atts($pairs, $atts, $shortcode = '') {
    $atts = (array) $atts; $out = array();
    foreach ($pairs as $name => $default) { $out[$name] = array_key_exists($name, $atts) ? $atts[$name] : $default; }
    return $out;
}
function esc_attr($text) { return htmlspecialchars((string) $text, ENT_QUOTES, 'UTF-8'); }
function esc_url($url, $protocols = null) {
    $url = trim((string) $url);
    if ($url === '') return '';
    $scheme = strtolower((string) parse_url($url, PHP_URL_SCHEME));
    if (!in_array($scheme, $protocols ?: array('http', 'https'), true)) return '';
    return str_replace(array('"', "'", '<', '>', ' '), array('%22', '%27', '%3C', '%3E', '%20'), $url);
}
function apply_filters($hook, $value) { return $value; }
function current_user_can($cap) { return getenv('AS_EDITOR') === '1'; }
function wp_enqueue_script_module($id, $src, $deps = array(), $ver = false) { $GLOBALS['enqueued'][$id] = $src; }
require __DIR__ . '/../../integrations/wordpress/harmony-paid-chat/harmony-paid-chat.php';
$outputs = array();
foreach (json_decode($argv[1], true) as $atts) { $outputs[] = call_user_func($GLOBALS['shortcodes']['harmony_paid_chat'], $atts); }
echo json_encode(array('outputs' => $outputs, 'enqueued' => $GLOBALS['enqueued']));
