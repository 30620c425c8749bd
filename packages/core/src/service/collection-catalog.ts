import { assertValid } from '../contract/validator.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { EvaluationStore } from '../extension-points/store.js';
import type { Collection, CollectionInput, CollectionUpdate } from '../types.js';

/** Built-in collections (from config, read-only) plus user collections persisted in the store. */
export class CollectionCatalog {
  private readonly builtin: Map<string, Collection>;

  constructor(
    private readonly store: EvaluationStore,
    builtin: readonly Collection[],
  ) {
    this.builtin = new Map(builtin.map((c) => [c.id, { ...c, builtin: true }]));
  }

  async list(): Promise<Collection[]> {
    const user = await this.store.listCollections();
    return [...this.builtin.values(), ...user.filter((c) => !this.builtin.has(c.id))];
  }

  async find(id: string): Promise<Collection | undefined> {
    return this.builtin.get(id) ?? (await this.store.getCollection(id));
  }

  async get(id: string): Promise<Collection> {
    const c = await this.find(id);
    if (!c) throw new NotFoundError('Collection', id, await this.hint());
    return c;
  }

  async hint(): Promise<string> {
    const ids = (await this.list()).map((c) => c.id);
    return ids.length ? `Available collections: ${ids.join(', ')}.` : 'No collection is defined yet.';
  }

  async create(body: unknown): Promise<Collection> {
    const input = assertValid<CollectionInput>('CollectionInput', body);
    const exists = (): ConflictError =>
      new ConflictError(
        'collection_exists',
        `Collection '${input.id}' already exists. Use PUT /api/v1/collections/${input.id} to change it.`,
      );
    if (this.builtin.has(input.id)) throw exists();
    const now = new Date().toISOString();
    const c: Collection = {
      ...input,
      description: input.description ?? '',
      builtin: false,
      created_at: now,
      updated_at: now,
    };
    // One atomic insert, not a lookup and a write: of two creates of one id, the second is a 409.
    if (!(await this.store.createCollection(c))) throw exists();
    return c;
  }

  async replace(id: string, body: unknown): Promise<Collection> {
    const input = assertValid<CollectionUpdate>('CollectionUpdate', body);
    if (this.builtin.has(id)) throw this.readOnly(id);
    const existing = await this.store.getCollection(id);
    if (!existing) throw new NotFoundError('Collection', id, 'Create it with POST /api/v1/collections.');
    // A replacement: what the body leaves out (a description, eval-hub's fields) is gone afterwards.
    const c: Collection = {
      ...input,
      id,
      builtin: false,
      ...(existing.created_at ? { created_at: existing.created_at } : {}),
      updated_at: new Date().toISOString(),
    };
    await this.store.putCollection(c);
    return c;
  }

  async delete(id: string): Promise<void> {
    if (this.builtin.has(id)) throw this.readOnly(id);
    if (!(await this.store.deleteCollection(id))) throw new NotFoundError('Collection', id);
  }

  private readOnly(id: string): ConflictError {
    return new ConflictError(
      'collection_read_only',
      `Collection '${id}' is built in (from the hub's config) and cannot be changed through the API; create a new collection instead.`,
    );
  }

  /** Throws a 400 naming the collection pointer when `id` is unknown (used while validating a request). */
  async resolveForRequest(id: string): Promise<Collection> {
    const c = await this.find(id);
    if (!c) {
      throw new ValidationError(
        `Collection '${id}' does not exist.`,
        [{ pointer: '/collection_id', message: `Unknown collection '${id}'. ${await this.hint()}` }],
        { code: 'collection_not_found' },
      );
    }
    return c;
  }
}
