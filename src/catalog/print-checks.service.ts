/**
 * The print check of a quote (and so of the order placed with it): what each sub-order's service
 * prints on, and the items whose image has too few pixels for it at the configured floor
 * (PRINT_MIN_DPI). A warning the customer sees, never a refusal: the customer may still want the
 * print. The rule is print-sizes.ts's effectiveDpi.
 */
import type { AppContext } from "../core/request-context";
import type { ImageReadsService } from "../images/image-reads.service";
import { printSizeOf, resolutionShortfall, type PrintSize } from "./print-sizes";
import { ServiceEntity } from "./service.entity";

export type PrintWarningCode = "LOW_RESOLUTION";

/** One finding on one item of a sub-order. */
export interface PrintWarningView {
  code: PrintWarningCode;
  /** The item's place in its sub-order's items, from 0 (as given). */
  itemIndex: number;
  imageId: string;
  /** The resolution the image prints at, rounded down. */
  dpi: number;
  minDpi: number;
  message: string;
}

/** What a sub-order prints on, and its findings. */
export interface SubOrderPrintView {
  printSize: PrintSize | null;
  warnings: PrintWarningView[];
}

export interface PrintCheckRequest {
  subOrders: ReadonlyArray<{ serviceId: string; items: ReadonlyArray<{ imageId: string }> }>;
}

export class PrintChecksService {
  /** Every service's print size, read once and dropped on a catalog change (so a quote costs no statement for it). */
  private sizes: Promise<Map<string, PrintSize | null>> | null = null;
  private generation = 0;

  constructor(
    private readonly app: AppContext,
    private readonly images: ImageReadsService,
  ) {
    void (async () => {
      for await (const e of app.events.subscribe("invalidate")) {
        if (e.kind === "catalog") {
          this.generation++;
          this.sizes = null;
        }
      }
    })();
  }

  private serviceSizes(): Promise<Map<string, PrintSize | null>> {
    if (this.sizes) return this.sizes;
    const generation = this.generation;
    const loading = this.app.ds
      .getRepository(ServiceEntity)
      .find()
      .then((rows) => new Map(rows.map((s) => [s.id, printSizeOf(s)])));
    // A change that lands while this read runs drops it again: the next quote reads anew.
    this.sizes = loading;
    loading.then(
      () => {
        if (generation !== this.generation && this.sizes === loading) this.sizes = null;
      },
      () => {
        if (this.sizes === loading) this.sizes = null;
      },
    );
    return loading;
  }

  /** One view per sub-order, in order. An unknown service or image (refused elsewhere) adds nothing. */
  async check(input: PrintCheckRequest): Promise<SubOrderPrintView[]> {
    const sizeOf = await this.serviceSizes();
    const wanted = input.subOrders.filter((s) => sizeOf.get(s.serviceId)).flatMap((s) => s.items.map((i) => i.imageId));
    const pixels = await this.images.pixelSizes(this.app.ds, wanted);
    const minDpi = this.app.config.printMinDpi;
    return input.subOrders.map((s) => {
      const printSize = sizeOf.get(s.serviceId) ?? null;
      const warnings: PrintWarningView[] = [];
      if (printSize) {
        s.items.forEach((item, itemIndex) => {
          const px = pixels.get(item.imageId);
          const short = px ? resolutionShortfall(px, printSize, minDpi) : null;
          if (!px || !short) return;
          const size = printSize.name ?? `${printSize.widthMm}x${printSize.heightMm} mm`;
          warnings.push({
            code: "LOW_RESOLUTION",
            itemIndex,
            imageId: item.imageId,
            dpi: short.dpi,
            minDpi,
            message: `Image ${item.imageId} (${px.width}x${px.height} px) prints at ${short.dpi} dpi on ${size}, below ${minDpi} dpi: it may look soft`,
          });
        });
      }
      return { printSize, warnings };
    });
  }
}
