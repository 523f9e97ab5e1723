import { css } from 'lit';

/**
 * The composer's counter and steps, the message list (a conversation reads like a chat: one's own
 * messages at the end side, the other's at the start; the inbox as cards), badges, replies, inbox
 * tools, totals and settings.
 */
export default css`  .counter {
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
    min-inline-size: 0;
  }

  .conversation-list .message {
    max-inline-size: min(100%, 34em);
    inline-size: fit-content;
    min-inline-size: min(100%, 14em);
  }

  .conversation-list .message.mine {
    align-self: flex-end;
    background: var(--_surface);
  }

  .conversation-list .message.theirs {
    align-self: flex-start;
  }

  .message.is-hidden {
    border-style: dashed;
  }

  .message-actions {
    display: flex;
    flex-direction: column;
    gap: 0.35em;
  }

  .actions-row {
    gap: 0 0.25em;
    margin-inline-start: -0.35em;
  }

  form > button.link-button,
  section > button.link-button,
  .thread > button.link-button {
    align-self: flex-start;
    justify-content: flex-start;
    text-align: start;
  }

  .inbox-tools {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.5em;
  }

  .sort-field {
    flex: 0 1 12em;
  }

  button.toggle[aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_accent-text);
    border-color: transparent;
  }

  .thread-state.warning {
    color: var(--_warning);
  }

  .live-offline {
    flex-direction: row;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
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

  .badge.escrow {
    color: var(--_muted);
  }

  .badge.answered {
    color: var(--_success);
  }

  .blocked-badge {
    color: var(--_danger);
  }

  .hidden-badge {
    color: var(--_muted);
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
    display: flex;
    align-items: center;
    min-block-size: var(--_target);
  }

  .settings[open] summary {
    margin-block-end: 0.5em;
  }

  .settings-form {
    padding-block: 0.25em 0.75em;
  }

`;
