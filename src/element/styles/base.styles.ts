import { css } from 'lit';

/**
 * Layout, text, form controls and buttons. (Comments stay out of the CSS text: it ships as is.)
 *
 * - `.base`, the inner root, sets every inherited text property itself, so that even a page rule
 *   aimed at the host element (`* { letter-spacing: … }`) cannot reach inside.
 * - Every control is at least `--_target` (44 px) on each side; `.link-button` looks like a link
 *   and taps like a button.
 */
export default css`  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .base {
    font: normal 400 var(--_size) / 1.45 var(--_font);
    font-kerning: auto;
    font-feature-settings: normal;
    font-variation-settings: normal;
    font-synthesis: weight style;
    letter-spacing: normal;
    word-spacing: normal;
    text-transform: none;
    text-indent: 0;
    text-align: start;
    text-shadow: none;
    text-decoration: none;
    white-space: normal;
    word-break: normal;
    hyphens: manual;
    tab-size: 8;
    font-style: normal;
    visibility: visible;
    cursor: auto;
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
    letter-spacing: inherit;
    min-block-size: var(--_target);
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
    letter-spacing: inherit;
    text-transform: inherit;
    cursor: pointer;
    border: 1px solid transparent;
    border-radius: var(--_radius-inner);
    padding: 0.55em 1.1em;
    background: var(--_accent);
    color: var(--_accent-text);
    min-block-size: var(--_target);
    min-inline-size: var(--_target);
  }

  button.secondary {
    background: transparent;
    color: var(--_text);
    border-color: var(--_border);
  }

  button.link-button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    background: none;
    border: none;
    padding: 0 0.35em;
    color: var(--_link);
    text-decoration: underline;
    font-weight: inherit;
    vertical-align: middle;
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

  @container (max-width: 416px) {
    .amount-row > button,
    .connect > button,
    .claim > button,
    .notice > .row > button {
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
