import { css } from 'lit';

/** The key panel, its notices and hints, read-state labels, follow-ups and threads, wallet links. */
export default css`
  .account-row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.25em calc(var(--_space) * 0.5);
  }

  button.small-button {
    font-size: 0.875em;
    padding: 0.3em 0.8em;
  }

  button.danger {
    background: var(--_danger);
    color: var(--_bg);
  }

  .keys {
    padding: calc(var(--_space) * 0.75);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-inner);
    background: var(--_surface);
  }

  .keys-block {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 0.4);
    padding-block-start: calc(var(--_space) * 0.5);
    border-block-start: 1px solid var(--_border);
  }

  .keys-block input {
    background: var(--_bg);
  }

  .subtitle {
    margin: 0;
    font-size: 0.95em;
    font-weight: 650;
  }

  .key-status {
    margin: 0;
    padding-inline-start: 1.1em;
  }

  .notice.warning {
    border-color: var(--_warning);
    border-inline-start-width: 4px;
  }

  .notice.hint {
    border-color: var(--_accent);
    border-inline-start-width: 4px;
  }

  .text.locked {
    font-style: italic;
    color: var(--_muted);
  }

  .text.locked[data-read-state='unreadable'] {
    color: var(--_danger);
  }

  .message.follow-up.theirs {
    border-inline-start: 3px solid var(--_accent);
  }

  .thread {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 0.5);
    padding-inline-start: 0.6em;
    border-inline-start: 2px dashed var(--_border);
  }

  .wallet-links {
    list-style: none;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 0.5em;
  }

  a.button-link {
    justify-content: center;
    padding: 0.55em 1.1em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius-inner);
    text-decoration: none;
    font-weight: 650;
  }

  a.target {
    display: inline-flex;
    align-items: center;
    min-block-size: var(--_target);
  }

  @container (max-width: 416px) {
    .keys button:not(.link-button),
    .notice > button,
    .claim > button {
      inline-size: 100%;
    }
  }
`;
