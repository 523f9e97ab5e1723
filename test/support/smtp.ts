/** The loopback SMTP server lives in scripts/lib (npm start uses it as the demo's mail sink); tests use it from here. */
export * from '../../scripts/lib/smtp.js';
