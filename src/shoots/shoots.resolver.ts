import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import type { Connection } from "../core/pagination";
import { ADMIN_ROLES } from "../identity/role";
import { CaptureDevicesService } from "./capture-devices.service";
import type { CaptureDeviceEntity } from "./capture-device.entity";
import type { ShootEntity } from "./shoot.entity";
import type { ShootImageEntity } from "./shoot-image.entity";
import { shootCursor, ShootsService } from "./shoots.service";
import { CaptureDevicePayload, CaptureDeviceType, ShootConnection, ShootImageType, ShootInput, ShootPayload, ShootType } from "./shoots.types";

const shootView = (s: ShootEntity): ShootType => ({
  id: s.id,
  shopId: s.shopId,
  name: s.name,
  firstPrintLabId: s.firstPrintLabId,
  availableUntil: s.availableUntil,
  imageCount: s.imageCount,
  retired: s.retiredAt !== null,
});
const deviceView = (d: CaptureDeviceEntity): CaptureDeviceType => ({ id: d.id, shopId: d.shopId, name: d.name, revoked: d.revokedAt !== null });
const imageView = (i: ShootImageEntity): ShootImageType => ({
  imageId: i.imageId,
  shootId: i.shootId,
  sha256: i.sha256,
  width: i.width,
  height: i.height,
  subject: i.subject,
});

/** Shoots and capture devices: admins of the shop, its group, and the center; scopes are the services'. */
@Resolver(() => ShootType)
export class ShootsResolver {
  constructor(
    private readonly shootsService: ShootsService,
    private readonly devices: CaptureDevicesService,
  ) {}

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => ShootPayload, { description: "Create a shoot of a shop (its shop admins, its group's admins, center admins)." })
  async createShoot(@Ctx() ctx: RequestContext, @Arg("input", () => ShootInput, { description: "The shoot." }) input: ShootInput): Promise<ShootPayload> {
    const r = await this.shootsService.create(ctx, input);
    return { shoot: r.value ? shootView(r.value) : null, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => ShootType, { nullable: true, description: "A shoot of a shop the caller administers; null for an unknown id." })
  async shoot(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "The shoot's id." }) id: string): Promise<ShootType | null> {
    const s = await this.shootsService.get(ctx, id);
    return s ? shootView(s) : null;
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => ShootConnection, { description: "The shoots of the caller's shops (of one shop with shopId), newest first, a page at a time." })
  async shoots(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { nullable: true, description: "Only this shop's shoots." }) shopId: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "At most this many shoots (1 to 100)." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the page before." }) after: string | null,
  ): Promise<Connection<ShootType>> {
    const page = await this.shootsService.list(ctx, shopId ?? null, { first: first ?? 20, after: after ?? null });
    const edges = page.rows.map((s) => ({ cursor: shootCursor(s.createdAt, s.id), node: shootView(s) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => [ShootImageType], {
    description: "A shoot's images, oldest first, a page at a time: after is the imageId of the last image of the page before.",
  })
  async shootImages(
    @Ctx() ctx: RequestContext,
    @Arg("shootId", () => ID, { description: "The shoot's id." }) shootId: string,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100, description: "At most this many images (1 to 100)." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The imageId of the last image already read." }) after: string | null,
  ): Promise<ShootImageType[]> {
    return (await this.shootsService.images(ctx, shootId, { first: first ?? 100, after: after ?? null })).map(imageView);
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => CaptureDevicePayload, { description: "Register a capture device of a shop; its key is in the answer, once." })
  async createCaptureDevice(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop the device uploads for." }) shopId: string,
    @Arg("name", () => String, { description: "What the device is called, 1 to 200 characters." }) name: string,
  ): Promise<CaptureDevicePayload> {
    const r = await this.devices.create(ctx, shopId, name);
    return { device: r.value ? deviceView(r.value.device) : null, key: r.value?.key ?? null, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => CaptureDevicePayload, {
    description: "Revoke a capture device: every later upload with its key is refused, an FTP session in progress included.",
  })
  async revokeCaptureDevice(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "The device's id." }) id: string): Promise<CaptureDevicePayload> {
    const r = await this.devices.revoke(ctx, id);
    return { device: r.value ? deviceView(r.value) : null, key: null, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => [CaptureDeviceType], {
    description: "The capture devices of a shop the caller administers, oldest first (at most 100 in use per shop, plus the revoked ones).",
  })
  async captureDevices(@Ctx() ctx: RequestContext, @Arg("shopId", () => ID, { description: "The shop." }) shopId: string): Promise<CaptureDeviceType[]> {
    return (await this.devices.list(ctx, shopId)).map(deviceView);
  }
}
