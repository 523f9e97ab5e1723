import { css } from 'lit';

/**
 * Styles of `<harmony-paid-chat>`. Public `--harmony-*` custom properties are read only through
 * private `--_*` copies set on :host (light by default; `theme="dark"`; `theme="auto"` follows
 * `prefers-color-scheme`). Nothing here reaches the host page: no global styles, no fonts.
 */
export default css`
  :host {
    --_accent: var(--harmony-color-accent, #00aee9);
    --_accent-text: var(--harmony-color-accent-text, #04202b);
    --_bg: var(--harmony-color-background, #ffffff);
    --_surface: var(--harmony-color-surface, #f3f6f8);
    --_text: var(--harmony-color-text, #17202a);
    --_muted: var(--harmony-color-muted, #55616d);
    --_border: var(--harmony-color-border, #cfd8df);
    --_link: var(--harmony-color-link, #00668a);
    --_danger: var(--harmony-color-danger, #b3261e);
    --_success: var(--harmony-color-success, #1b6e36);
    --_warning: var(--harmony-color-warning, #8a5300);
    --_radius: var(--harmony-radius, 12px);
    --_radius-inner: calc(var(--_radius) * 0.6);
    --_font: var(--harmony-font-family, inherit);
    --_size: var(--harmony-font-size, 1rem);
    --_space: var(--harmony-spacing, 1rem);
    --_max-width: var(--harmony-max-width, 40rem);

    display: block;
    box-sizing: border-box;
    min-width: 0;
    max-width: var(--_max-width);
    color-scheme: light;
    container-type: inline-size;
  }

  :host([theme='dark']) {
    --_bg: var(--harmony-color-background, #12171c);
    --_surface: var(--harmony-color-surface, #1b2229);
    --_text: var(--harmony-color-text, #e9eef3);
    --_muted: var(--harmony-color-muted, #a4b0bc);
    --_border: var(--harmony-color-border, #34404b);
    --_link: var(--harmony-color-link, #5fd0f5);
    --_danger: var(--harmony-color-danger, #ff8a80);
    --_success: var(--harmony-color-success, #7bd88f);
    --_warning: var(--harmony-color-warning, #ffc774);
    color-scheme: dark;
  }

  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --_bg: var(--harmony-color-background, #12171c);
      --_surface: var(--harmony-color-surface, #1b2229);
      --_text: var(--harmony-color-text, #e9eef3);
      --_muted: var(--harmony-color-muted, #a4b0bc);
      --_border: var(--harmony-color-border, #34404b);
      --_link: var(--harmony-color-link, #5fd0f5);
      --_danger: var(--harmony-color-danger, #ff8a80);
      --_success: var(--harmony-color-success, #7bd88f);
      --_warning: var(--harmony-color-warning, #ffc774);
      color-scheme: dark;
    }
  }

  :host([hidden]) {
    display: none;
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .base {
    font-family: var(--_font);
    font-size: var(--_size);
    line-height: 1.45;
    color: var(--_text);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: var(--_space);
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 0.75);
    overflow-wrap: anywhere;
  }

  p,
  h2,
  h3,
  ul,
  ol {
    margin: 0;
  }

  .header {
    display: flex;
    align-items: center;
    gap: calc(var(--_space) * 0.75);
  }

  .avatar {
    flex: none;
    inline-size: 2.75em;
    block-size: 2.75em;
    border-radius: 50%;
    display: grid;
    place-items: center;
    font-weight: 700;
    font-size: 1.1em;
    background: var(--_accent);
    color: var(--_accent-text);
  }

  .skeleton {
    background: var(--_surface);
  }

  .handle {
    font-size: 1.25em;
    line-height: 1.2;
    font-weight: 700;
  }

  .title {
    font-size: 1.05em;
    font-weight: 650;
  }

  .price {
    color: var(--_muted);
  }

  .price strong {
    color: var(--_text);
  }

  .promise {
    padding: calc(var(--_space) * 0.5) calc(var(--_space) * 0.75);
    border-radius: var(--_radius-inner);
    background: var(--_surface);
  }

  .muted {
    color: var(--_muted);
  }

  .small {
    font-size: 0.875em;
  }

  .error {
    color: var(--_danger);
  }

  .success {
    color: var(--_success);
  }

  .sr-only {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }

  form,
  section,
  .connect,
  .notice,
  .locked,
  .card-error {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 0.5);
  }

  .notice {
    padding: calc(var(--_space) * 0.75);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-inner);
    background: var(--_surface);
  }

  .field {
    display: flex;
    flex-direction: column;
    gap: 0.25em;
    min-width: 0;
  }

  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: calc(var(--_space) * 0.5);
  }

  .spread {
    justify-content: space-between;
  }

  .amount-row {
    align-items: flex-end;
  }

  .amount-row .field {
    flex: 1 1 8em;
  }

  label {
    font-weight: 600;
    font-size: 0.9em;
  }

  textarea,
  input,
  select {
    font: inherit;
    color: var(--_text);
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-inner);
    padding: 0.5em 0.65em;
    min-width: 0;
    max-width: 100%;
  }

  textarea {
    inline-size: 100%;
    resize: vertical;
    min-block-size: 4.5em;
    white-space: pre-wrap;
  }

  input[type='number'] {
    inline-size: 6em;
  }

  [aria-invalid='true'] {
    border-color: var(--_danger);
  }

  button {
    font: inherit;
    font-weight: 650;
    cursor: pointer;
    border: 1px solid transparent;
    border-radius: var(--_radius-inner);
    padding: 0.55em 1.1em;
    background: var(--_accent);
    color: var(--_accent-text);
    min-block-size: 2.5em;
  }

  button.secondary {
    background: transparent;
    color: var(--_text);
    border-color: var(--_border);
  }

  button.link-button {
    background: none;
    border: none;
    padding: 0 0.25em;
    min-block-size: auto;
    color: var(--_link);
    text-decoration: underline;
    font-weight: inherit;
  }

  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }

  button[aria-disabled='true'] {
    cursor: progress;
  }

  a {
    color: var(--_link);
  }

  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }

  [tabindex='-1']:focus {
    outline: none;
  }

  [tabindex='-1']:focus-visible {
    outline: 2px solid var(--_accent);
  }

  .counter {
    font-size: 0.875em;
    color: var(--_muted);
    font-variant-numeric: tabular-nums;
  }

  .counter.over {
    color: var(--_danger);
    font-weight: 650;
  }

  .steps {
    list-style: none;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 0.35em 1em;
    font-size: 0.9em;
  }

  .steps li {
    display: flex;
    align-items: center;
    gap: 0.4em;
    color: var(--_muted);
  }

  .steps li.current {
    color: var(--_text);
    font-weight: 650;
  }

  .steps li.done {
    color: var(--_success);
  }

  .dot {
    inline-size: 0.7em;
    block-size: 0.7em;
    border-radius: 50%;
    border: 2px solid currentColor;
  }

  .done .dot {
    background: currentColor;
  }

  .receipt {
    color: var(--_success);
  }

  .receipt code {
    color: var(--_text);
  }

  .messages {
    list-style: none;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 0.6);
  }

  .message {
    display: flex;
    flex-direction: column;
    gap: 0.35em;
    padding: calc(var(--_space) * 0.75);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-inner);
    background: var(--_bg);
  }

  .message.urgent {
    border-color: var(--_warning);
    border-inline-start-width: 4px;
  }

  .urgent-text {
    color: var(--_warning);
  }

  .text {
    white-space: pre-wrap;
  }

  .meta {
    font-size: 0.875em;
    color: var(--_muted);
  }

  .from {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5em;
    align-items: baseline;
  }

  .sender {
    font-weight: 650;
  }

  .verified {
    font-size: 0.8em;
    color: var(--_success);
  }

  .badge {
    display: inline-block;
    padding: 0 0.5em;
    border-radius: 999px;
    border: 1px solid currentColor;
    font-size: 0.85em;
  }

  .badge.waiting {
    color: var(--_muted);
  }

  .badge.replied {
    color: var(--_success);
  }

  .badge.refundable {
    color: var(--_warning);
  }

  .badge.refunded {
    color: var(--_muted);
  }

  .reply {
    border-inline-start: 3px solid var(--_accent);
    padding-inline-start: 0.6em;
  }

  .reply-box {
    margin-block-start: 0.25em;
  }

  .totals {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25em 1.25em;
  }

  .settings summary {
    cursor: pointer;
    font-weight: 650;
  }

  .settings[open] summary {
    margin-block-end: 0.5em;
  }

  .settings-form {
    padding-block: 0.25em 0.75em;
  }

  .status {
    font-size: 0.9em;
    color: var(--_muted);
  }

  .status:empty {
    display: block;
    margin: 0;
    min-block-size: 0;
  }

  .status.error {
    color: var(--_danger);
  }

  .status.warn {
    color: var(--_warning);
  }

  .status.success {
    color: var(--_success);
  }

  .status.busy {
    color: var(--_text);
  }

  @container (max-width: 26rem) {
    .amount-row > button,
    .connect > button,
    .claim > button,
    .locked > button {
      inline-size: 100%;
    }
  }

  @media (prefers-reduced-motion: no-preference) {
    button {
      transition: filter 120ms ease-out;
    }
    button:hover:not(:disabled) {
      filter: brightness(1.07);
    }
    .status.busy::before {
      content: '';
      display: inline-block;
      inline-size: 0.8em;
      block-size: 0.8em;
      margin-inline-end: 0.45em;
      border: 2px solid currentColor;
      border-inline-end-color: transparent;
      border-radius: 50%;
      vertical-align: -0.1em;
      animation: harmony-spin 0.8s linear infinite;
    }
  }

  @keyframes harmony-spin {
    to {
      transform: rotate(360deg);
    }
  }
`;
