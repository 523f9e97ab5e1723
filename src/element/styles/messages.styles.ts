import { css } from 'lit';

/** The composer's counter and steps, message lists, badges, replies, totals and settings. */
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

`;
