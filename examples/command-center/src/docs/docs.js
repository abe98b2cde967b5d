// Renders /openapi.json with Scalar's standalone bundle, served by this server (no CDN, no inline script).
// Nothing leaves this origin: no web fonts, no telemetry, no request proxy, no AI agent.
Scalar.createApiReference('#api-reference', {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  hideDownloadButton: false,
  theme: 'default',
});
