import { AetherError } from '@aetherlink/core';
import type { HttpTransportOptions } from './http.js';

/** Options every built-in provider takes; anything unset is read from the environment (DESIGN §4). */
export interface VendorProviderOptions extends HttpTransportOptions {
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  /** Capabilities it serves; default every capability. */
  capabilities?: readonly string[];
  /** Where unset options come from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedVendorOptions {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
}

/**
 * Option, else environment variable, else default; the base URL must be http(s).
 * @example resolveVendor(options, { baseUrl: 'ANTHROPIC_BASE_URL', apiKey: 'ANTHROPIC_API_KEY', model: 'ANTHROPIC_MODEL' }, defaults)
 */
export function resolveVendor(
  options: VendorProviderOptions,
  names: { baseUrl: string; apiKey?: string; model: string },
  defaults: { baseUrl: string; model: string },
): ResolvedVendorOptions {
  const env = options.env ?? process.env;
  const pick = (value: string | undefined, name: string | undefined) => value ?? (name ? nonEmpty(env[name]) : undefined);
  const baseUrl = pick(options.baseUrl, names.baseUrl) ?? defaults.baseUrl;
  let parsed: URL | undefined;
  try {
    parsed = new URL(baseUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    const field = options.baseUrl !== undefined ? 'baseUrl' : names.baseUrl;
    throw new AetherError('config_invalid', `${field}: must be an http(s) URL (got "${baseUrl}")`, {
      errors: [{ field, message: 'must be an http(s) URL', in: options.baseUrl !== undefined ? 'options' : 'env' }],
    });
  }
  return { baseUrl, apiKey: pick(options.apiKey, names.apiKey), model: pick(options.model, names.model) ?? defaults.model };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
