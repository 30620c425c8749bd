import { PLUGIN_ALIASES } from './plugin-aliases.js';

/** JSON Schema of evalhub.config.json / .yaml (documented in docs/configuration.md). */
const pluginRef = {
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1 },
        kind: { type: 'string', minLength: 1 },
        options: { type: 'object' },
      },
      anyOf: [{ required: ['name'] }, { required: ['kind'] }],
    },
  ],
};

export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    data_dir: { type: 'string', minLength: 1 },
    data_root: { type: 'string', minLength: 1 },
    python: { type: 'string', minLength: 1 },
    log_level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        body_limit_bytes: { type: 'integer', minimum: 1024 },
        request_timeout_ms: { type: 'integer', minimum: 100, maximum: 3_600_000 },
        cors_origins: { type: 'array', items: { type: 'string' } },
        api_keys: { type: 'array', items: { type: 'string', minLength: 16 } },
        api_keys_file: { type: 'string' },
      },
    },
    store: pluginRef,
    runtime: pluginRef,
    tracker: pluginRef,
    // A plugin's section (by its short name), checked by the plugin's own options schema.
    ...Object.fromEntries(Object.keys(PLUGIN_ALIASES).map((alias) => [alias, { type: 'object' }])),
    plugins: { type: 'array', items: pluginRef },
    plugin_options: { type: 'object', additionalProperties: { type: 'object' } },
    discover_plugins: { type: 'boolean' },
    model_servers: {
      type: 'object',
      additionalProperties: {
        anyOf: [
          { type: 'string', pattern: '^https?://' },
          {
            type: 'object',
            required: ['url'],
            additionalProperties: false,
            properties: {
              url: { type: 'string', pattern: '^https?://' },
              api_key_env: { type: 'string' },
              max_concurrency: { type: 'integer', minimum: 1, maximum: 65_536 },
            },
          },
        ],
      },
    },
    gateway: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        cache_max_bytes: { type: 'integer', minimum: 0 },
      },
    },
    model_url_allowed_hosts: {
      type: 'array',
      items: {
        type: 'string',
        minLength: 1,
        pattern: '^(\\*|(\\*\\.)?[A-Za-z0-9.-]+(:\\d+)?|\\[[0-9A-Fa-f:.]+\\](:\\d+)?)$',
      },
    },
    collections: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'benchmarks'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          name: { type: 'string' },
          description: { type: 'string' },
          benchmarks: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['benchmark_id', 'provider_id'],
              properties: {
                benchmark_id: { type: 'string' },
                provider_id: { type: 'string' },
                config: { type: 'object' },
              },
            },
          },
        },
      },
    },
    evaluation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        benchmark_concurrency: { type: 'integer', minimum: 1 },
        max_concurrent_evaluations: { type: 'integer', minimum: 1 },
        max_queued_evaluations: { type: 'integer', minimum: 1 },
        benchmark_timeout_seconds: { type: 'integer', minimum: 1 },
        max_attempts: { type: 'integer', minimum: 1 },
        lease_ms: { type: 'integer', minimum: 500 },
        default_collection: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
        cache: { type: 'boolean' },
      },
    },
  },
} as const satisfies Record<string, unknown>;
