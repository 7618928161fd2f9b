/**
 * Images as the graph shows them (an order item's `image`): each read with the request's other
 * images in one batch, under the same rule as the image routes (image-access.ts), with a signed,
 * short-lived download link. A caller who may not see an image gets null, as if it did not exist.
 */
import { In, type DataSource } from "typeorm";
import { loadOne } from "../core/loaders";
import type { RequestContext } from "../core/request-context";
import type { OrdersService } from "../orders/orders.service";
import { imageReadRule } from "./image-access";
import { ImageEntity } from "./image.entity";
import type { ImageUrlSigner } from "./image-urls";

export interface ImageView {
  id: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
  url: string;
  originalUrl: string;
  thumbnailUrl: string;
  urlExpiresAt: Date;
}

export class ImageReadsService {
  constructor(
    private readonly orders: OrdersService,
    private readonly urls: ImageUrlSigner,
  ) {}

  /** The image if the caller may see it, else null; one batch of statements per request, whatever the count. */
  image(ctx: RequestContext, id: string | null | undefined): Promise<ImageView | null> {
    return loadOne(ctx, "images:image", id, (ids) => this.visible(ctx, ids));
  }

  /**
   * Pixel sizes by image id, whoever owns the image: for the center's print check of a quote, which
   * shows a resolution figure and nothing of the image.
   */
  async pixelSizes(ds: DataSource, ids: readonly string[]): Promise<Map<string, { width: number; height: number }>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await ds.getRepository(ImageEntity).find({ where: { id: In(unique) }, select: { id: true, width: true, height: true } });
    return new Map(rows.filter((r) => unique.includes(r.id)).map((r) => [r.id, { width: r.width, height: r.height }]));
  }

  private async visible(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, ImageView>> {
    const out = new Map<string, ImageView>();
    if (ctx.auth.kind === "anonymous") return out;
    const rows = await ctx.app.ds.getRepository(ImageEntity).find({ where: { id: In([...ids]) } });
    const rules = new Map(rows.map((r) => [r.id, imageReadRule(ctx.auth, r)]));
    const asked = rows.filter((r) => rules.get(r.id) === "if-in-admin-scope").map((r) => r.id);
    const inScope = asked.length > 0 ? await this.orders.imagesInAdminScope(ctx, asked) : new Set<string>();
    const now = Date.now();
    const expires = new Date((Math.floor(now / 1000) + this.urls.ttlSeconds) * 1000);
    for (const r of rows) {
      // Exact, case-sensitive ids on every engine (MariaDB's collation may match another case).
      if (!ids.includes(r.id)) continue;
      const rule = rules.get(r.id);
      if (rule !== "yes" && !(rule === "if-in-admin-scope" && inScope.has(r.id))) continue;
      const { id, contentType, bytes, width, height, sha256 } = r;
      const url = this.urls.signedUrl(id, this.urls.ttlSeconds, now);
      const thumbnailUrl = this.urls.signedThumbnailUrl(id, this.urls.ttlSeconds, now);
      out.set(id, { id, contentType, bytes, width, height, sha256, url, originalUrl: url, thumbnailUrl, urlExpiresAt: expires });
    }
    return out;
  }
}
