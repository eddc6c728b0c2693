// Async-iterator pagination over marker (GCS), offset/limit (Transfer) and next_token style APIs.
import { GlobusError } from './errors.ts';

/** Where the next page starts, or undefined when this was the last page. */
export type NextCursor<R, C> = (page: R, state: { cursor: C | undefined; pageIndex: number; itemCount: number }) => C | undefined;

export interface PaginatorSpec<R, T, C> {
  /** Fetches one page; `cursor` is undefined for the first page. */
  fetchPage: (cursor: C | undefined) => Promise<R>;
  /** The items of a page. */
  items: (page: R) => readonly T[];
  next: NextCursor<R, C>;
  /** Stop after this many pages (default: no limit). */
  maxPages?: number;
}

/**
 * Lazily walks pages: `for await (const item of paginator)` yields items, `.pages()` yields whole
 * pages, `.toArray()` collects items. Each walk starts again from the first page.
 */
export class Paginator<R, T, C = unknown> implements AsyncIterable<T> {
  readonly spec: PaginatorSpec<R, T, C>;

  constructor(spec: PaginatorSpec<R, T, C>) {
    this.spec = spec;
  }

  async *pages(): AsyncGenerator<R, void, undefined> {
    let cursor: C | undefined;
    let pageIndex = 0;
    let itemCount = 0;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.spec.fetchPage(cursor);
      pageIndex++;
      itemCount += this.spec.items(page).length;
      yield page;
      if (this.spec.maxPages !== undefined && pageIndex >= this.spec.maxPages) return;
      const next = this.spec.next(page, { cursor, pageIndex, itemCount });
      if (next === undefined) return;
      // A server that hands back a cursor it already gave would otherwise loop forever.
      const key = JSON.stringify(next);
      if (seen.has(key)) throw new GlobusError(`pagination cursor repeated (${key}); stopping to avoid an infinite loop`);
      seen.add(key);
      cursor = next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* this.spec.items(page);
  }

  async toArray(limit = Infinity): Promise<T[]> {
    const out: T[] = [];
    if (limit <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= limit) break;
    }
    return out;
  }
}

type AnyPage = Record<string, unknown>;

/** Items under `key` of a page object (empty when missing). */
export function itemsAt<T>(key: string): (page: unknown) => T[] {
  return (page) => {
    const v = (page as AnyPage | null)?.[key];
    return Array.isArray(v) ? (v as T[]) : [];
  };
}

export interface MarkerPagingOptions<R, T> {
  fetchPage: (marker: string | undefined) => Promise<R>;
  /** Default: the GCS `data` array. */
  items?: (page: R) => readonly T[];
  /** Default: `page.marker` while `page.has_next_page` is true. */
  next?: (page: R) => string | undefined;
  maxPages?: number;
}

/** GCS Manager style: follow `marker` while `has_next_page`. */
export function paginateMarker<R, T>(options: MarkerPagingOptions<R, T>): Paginator<R, T, string> {
  return new Paginator<R, T, string>({
    fetchPage: options.fetchPage,
    items: options.items ?? itemsAt<T>('data'),
    next:
      options.next ??
      ((page) => {
        const p = page as AnyPage;
        return p.has_next_page === true && typeof p.marker === 'string' && p.marker !== '' ? p.marker : undefined;
      }),
    maxPages: options.maxPages,
  });
}

export interface OffsetPagingOptions<R, T> {
  fetchPage: (offset: number, limit: number) => Promise<R>;
  /** Page size requested (default 100). */
  limit?: number;
  /** Default: the Transfer `DATA` array. */
  items?: (page: R) => readonly T[];
  /**
   * Default: `has_next_page` when present, else `offset + count < total` when `total` is present,
   * else "the page was full".
   */
  hasNext?: (page: R, offset: number, limit: number, count: number) => boolean;
  maxPages?: number;
  /** The most items the API serves for one query (Transfer: 1000): the last page asks for no more, and paging stops there. */
  maxTotal?: number;
}

/** Offset/limit style (Transfer): pages at offset 0, limit, 2·limit, … */
export function paginateOffset<R, T>(options: OffsetPagingOptions<R, T>): Paginator<R, T, number> {
  const limit = options.limit ?? 100;
  const items = options.items ?? itemsAt<T>('DATA');
  const hasNext =
    options.hasNext ??
    ((page: R, offset: number, lim: number, count: number) => {
      const p = page as AnyPage;
      if (typeof p.has_next_page === 'boolean') return p.has_next_page;
      if (typeof p.total === 'number') return offset + count < p.total;
      return count >= lim && count > 0;
    });
  const maxTotal = options.maxTotal ?? Infinity;
  return new Paginator<R, T, number>({
    fetchPage: (offset) => options.fetchPage(offset ?? 0, Math.min(limit, maxTotal - (offset ?? 0))),
    items,
    next: (page, { cursor }) => {
      const offset = cursor ?? 0;
      const count = items(page).length;
      if (offset + count >= maxTotal) return undefined;
      return count > 0 && hasNext(page, offset, limit, count) ? offset + count : undefined;
    },
    maxPages: options.maxPages,
  });
}

export interface TokenPagingOptions<R, T> {
  fetchPage: (token: string | undefined) => Promise<R>;
  items: (page: R) => readonly T[];
  /** Default: `page.next_token` (null/empty = last page). */
  next?: (page: R) => string | undefined;
  maxPages?: number;
}

/** Continuation-token style: send back `next_token` until it is null. */
export function paginateToken<R, T>(options: TokenPagingOptions<R, T>): Paginator<R, T, string> {
  return new Paginator<R, T, string>({
    fetchPage: options.fetchPage,
    items: options.items,
    next:
      options.next ??
      ((page) => {
        const t = (page as AnyPage).next_token;
        return typeof t === 'string' && t !== '' ? t : undefined;
      }),
    maxPages: options.maxPages,
  });
}
