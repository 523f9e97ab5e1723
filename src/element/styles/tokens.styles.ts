import { css } from 'lit';

/**
 * The host box and its tokens: public `--harmony-*` custom properties are read only through
 * private `--_*` copies set on :host (light by default; `theme="dark"`; `theme="auto"` follows
 * `prefers-color-scheme`).
 *
 * The widget keeps its shape on any page: `all: initial` drops everything the page would pass
 * down (font, colour, line height, text transform, letter and word spacing, alignment…), sizes are
 * px or em of the widget's own base (never rem: themes set `html { font-size: 62.5% }`), and the
 * default font is a system stack of its own, not the page's. `--_target` is the smallest side of
 * anything a finger taps (44 px, WCAG 2.5.5).
 */
export default css`
  :host {
    all: initial;
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
    --_font: var(--harmony-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    --_size: var(--harmony-font-size, 16px);
    --_space: var(--harmony-spacing, 16px);
    --_max-width: var(--harmony-max-width, 640px);
    --_target: 44px;

    display: block;
    box-sizing: border-box;
    min-width: 0;
    max-width: var(--_max-width);
    color-scheme: light;
    container-type: inline-size;
    font-family: var(--_font);
    font-size: var(--_size);
    line-height: 1.45;
    color: var(--_text);
    direction: ltr;
    text-align: start;
    -webkit-text-size-adjust: 100%;
    text-size-adjust: 100%;
  }

  :host([dir='rtl']) {
    direction: rtl;
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
