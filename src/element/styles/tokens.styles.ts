import { css } from 'lit';

/** The host box and its tokens: public `--harmony-*` custom properties are read only through private `--_*` copies set on :host (light by default; `theme="dark"`; `theme="auto"` follows `prefers-color-scheme`). */
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

`;
