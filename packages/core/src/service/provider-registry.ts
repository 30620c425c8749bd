import type { ValidateFunction } from 'ajv';
import { compileSchema, toErrorDetails } from '../contract/validator.js';
import { ConfigError, NotFoundError, type ErrorDetail } from '../errors.js';
import type { EvaluationProvider, ProviderDescriptor } from '../extension-points/provider.js';
import type { Benchmark, Provider } from '../types.js';
import { CACHE_SETTING, providerConfig } from './benchmark-gateway.js';

interface Entry {
  provider: EvaluationProvider;
  descriptor: ProviderDescriptor;
  benchmarks: Map<string, Benchmark>;
  /** Each benchmark's declared `config_schema`, compiled once at registration. */
  configValidators: Map<string, ValidateFunction>;
  packageName?: string;
}

/** The installed providers, keyed by `provider_id`, with their benchmark catalogs. */
export class ProviderRegistry {
  private readonly entries = new Map<string, Entry>();

  add(provider: EvaluationProvider, packageName?: string): void {
    const descriptor = provider.describe();
    if (!/^[A-Za-z0-9_.-]+$/.test(descriptor.id)) {
      throw new ConfigError(
        `Provider id '${descriptor.id}'${packageName ? ` (from ${packageName})` : ''} must use only letters, digits, '_', '-', '.'.`,
      );
    }
    const existing = this.entries.get(descriptor.id);
    if (existing) {
      throw new ConfigError(
        `Two providers claim the id '${descriptor.id}': ${existing.packageName ?? 'an explicit provider'} and ${
          packageName ?? 'an explicit provider'
        }. Remove one of them from the config.`,
      );
    }
    const benchmarks = new Map<string, Benchmark>();
    const configValidators = new Map<string, ValidateFunction>();
    for (const b of descriptor.benchmarks) {
      benchmarks.set(b.id, { ...b, provider_id: descriptor.id });
      if (!b.config_schema) continue;
      try {
        configValidators.set(b.id, compileSchema(b.config_schema));
      } catch (err) {
        throw new ConfigError(
          `Benchmark '${b.id}' of provider '${descriptor.id}'${packageName ? ` (from ${packageName})` : ''} declares an invalid config_schema: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    this.entries.set(descriptor.id, {
      provider,
      descriptor,
      benchmarks,
      configValidators,
      ...(packageName ? { packageName } : {}),
    });
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): EvaluationProvider | undefined {
    return this.entries.get(id)?.provider;
  }

  benchmark(providerId: string, benchmarkId: string): Benchmark | undefined {
    return this.entries.get(providerId)?.benchmarks.get(benchmarkId);
  }

  /**
   * Problems of a benchmark's `config` against the benchmark's declared `config_schema`, with
   * pointers relative to the config; empty when it conforms or declares no schema.
   */
  checkConfig(providerId: string, benchmarkId: string, config: unknown): ErrorDetail[] {
    // `cache` is the hub's own setting (the model gateway's response cache), never the provider's
    const hubs: ErrorDetail[] = [];
    if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
      const own = config as Record<string, unknown>;
      if (own[CACHE_SETTING] !== undefined && typeof own[CACHE_SETTING] !== 'boolean')
        hubs.push({ pointer: `/${CACHE_SETTING}`, message: 'Must be true or false.' });
      config = providerConfig(own);
    }
    const validate = this.entries.get(providerId)?.configValidators.get(benchmarkId);
    if (!validate || validate(config)) return hubs;
    return [...hubs, ...toErrorDetails(validate.errors)];
  }

  benchmarkIds(providerId: string): string[] {
    return [...(this.entries.get(providerId)?.benchmarks.keys() ?? [])];
  }

  describe(id: string): Provider {
    const e = this.entries.get(id);
    if (!e)
      throw new NotFoundError('Provider', id, `Installed providers: ${this.ids().join(', ') || 'none'}.`);
    const { benchmarks: _omit, ...rest } = e.descriptor;
    return {
      ...rest,
      ...(e.packageName ? { package: e.packageName } : {}),
      benchmarks: [...e.benchmarks.values()],
    };
  }

  list(): Provider[] {
    return this.ids().map((id) => this.describe(id));
  }

  allBenchmarks(filter: { provider?: string; category?: string } = {}): Benchmark[] {
    const out: Benchmark[] = [];
    for (const [id, e] of this.entries) {
      if (filter.provider && id !== filter.provider) continue;
      for (const b of e.benchmarks.values())
        if (!filter.category || b.category === filter.category) out.push(b);
    }
    return out;
  }

  providers(): EvaluationProvider[] {
    return [...this.entries.values()].map((e) => e.provider);
  }
}
