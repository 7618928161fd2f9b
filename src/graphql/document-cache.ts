/**
 * The documents of the operations the center runs itself (graphql-ws, and plain requests over
 * HTTP): one cache, one schema, one set of rules.
 *
 * Part of the HTTP lane (http-operations.ts): it replaces Apollo's document store, which hashes
 * each query text with SHA-256 to find its document; measured and proven equal with that lane
 * (`npm run bench:transport`, `GRAPHQL_HTTP_DIFFERENTIAL=1`). Both socket lanes use it alike.
 */
import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationRule } from "graphql";

/**
 * Parsed documents by query text and their validation results, bounded by entries and by the
 * total length of the texts kept (the least recently used go first). One cache serves one schema
 * and one set of rules: a document's result is computed once, for those.
 */
export class DocumentCache {
  private readonly docs = new Map<string, DocumentNode>();
  private readonly checked = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  private chars = 0;

  constructor(private readonly limits: { maxEntries: number; maxChars: number; maxTokens: number }) {}

  get size(): number {
    return this.docs.size;
  }

  get totalChars(): number {
    return this.chars;
  }

  /** The document for this text; throws graphql's syntax error (not cached) when it does not parse. */
  parse(query: string): DocumentNode {
    const hit = this.docs.get(query);
    if (hit) {
      // Most recently used last.
      this.docs.delete(query);
      this.docs.set(query, hit);
      return hit;
    }
    const doc = parse(query, { maxTokens: this.limits.maxTokens });
    if (query.length <= this.limits.maxChars) {
      this.docs.set(query, doc);
      this.chars += query.length;
      for (const [oldest] of this.docs) {
        if (this.docs.size <= this.limits.maxEntries && this.chars <= this.limits.maxChars) break;
        this.docs.delete(oldest);
        this.chars -= oldest.length;
      }
    }
    return doc;
  }

  /** The validation errors of a document this cache parsed (computed once per document). */
  validate(schema: GraphQLSchema, doc: DocumentNode, rules: readonly ValidationRule[]): readonly GraphQLError[] {
    let errors = this.checked.get(doc);
    if (!errors) {
      errors = validate(schema, doc, rules);
      this.checked.set(doc, errors);
    }
    return errors;
  }
}
