// Renders /openapi.json with Scalar's standalone bundle, served by this server (no CDN, no inline script).
// Nothing leaves this origin: no web fonts, no telemetry, no request proxy, no AI agent.
// Mounted on #app: an element with id api-reference would also start Scalar's own HTML set-up, a second viewer.
Scalar.createApiReference('#app', {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  // The hosted platform's toolbar (share, deploy, generate SDKs) is not ours to offer.
  showDeveloperTools: 'never',
  // Generators read operationIds: show them.
  showOperationId: true,
  theme: 'default',
});
