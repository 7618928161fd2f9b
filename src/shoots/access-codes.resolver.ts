import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { Connection } from "../core/pagination";
import type { RequestContext } from "../core/request-context";
import { DateTimeScalar } from "../graphql/scalars";
import { ADMIN_ROLES } from "../identity/role";
import { AccessCodesService, type IssuedCode } from "./access-codes.service";
import {
  AccessCodeInput,
  AccessCodePayload,
  AccessCodesPayload,
  AccessCodeType,
  GalleryImageConnection,
  GalleryImageType,
  GalleryType,
} from "./access-codes.types";

const codeView = (c: IssuedCode): AccessCodeType => ({ code: c.code, shootId: c.shootId, subject: c.subject, expiresAt: c.expiresAt });

/**
 * Access codes (admins of the shoot's shop, its group's, the center's; scopes are the service's)
 * and the gallery a code opens: anyone may ask, the code being the credential.
 */
@Resolver(() => GalleryType)
export class AccessCodesResolver {
  constructor(private readonly codes: AccessCodesService) {}

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => AccessCodePayload, {
    description:
      "Make an access code for one subject of a shoot or the whole shoot; the code is in the answer, once. Codes: NOT_FOUND, SHOOT_CLOSED, INVALID_SUBJECT, INVALID_DATE.",
  })
  async createAccessCode(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => AccessCodeInput, { description: "The shoot, the subject and the expiry." }) input: AccessCodeInput,
  ): Promise<AccessCodePayload> {
    const r = await this.codes.create(ctx, input);
    return { accessCode: r.value ? codeView(r.value) : null, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => AccessCodesPayload, {
    description:
      "Make one access code for every subject of a shoot's images that has none yet (cards to hand out), in one transaction. Codes: NOT_FOUND, SHOOT_CLOSED, INVALID_DATE, TOO_MANY_SUBJECTS (over 5,000 at once).",
  })
  async createAccessCodesForSubjects(
    @Ctx() ctx: RequestContext,
    @Arg("shootId", () => ID, { description: "The shoot." }) shootId: string,
    @Arg("expiresAt", () => DateTimeScalar, { nullable: true, description: "When the codes stop showing anything; unset: with the shoot." })
    expiresAt: Date | null,
  ): Promise<AccessCodesPayload> {
    const r = await this.codes.createForSubjects(ctx, shootId, expiresAt ?? null);
    return { accessCodes: (r.value ?? []).map(codeView), errors: r.errors };
  }

  @Query(() => GalleryType, {
    nullable: true,
    description: "What an access code shows; null for an unknown, expired or retired code. Guesses are rate-limited.",
  })
  async gallery(
    @Ctx() ctx: RequestContext,
    @Arg("accessCode", () => String, { description: "The code as printed; case, dashes and spaces do not matter." }) accessCode: string,
  ): Promise<GalleryType | null> {
    const g = await this.codes.gallery(ctx, accessCode);
    if (!g) return null;
    return {
      shootId: g.shoot.id,
      shopId: g.shoot.shopId,
      name: g.shoot.name,
      subject: g.subject,
      availableUntil: g.shoot.availableUntil,
      images: g.images,
      hasMoreImages: g.hasMoreImages,
    };
  }

  @Query(() => GalleryImageConnection, {
    nullable: true,
    description: "The images an access code shows, oldest first, a page at a time; null where gallery is null (and counted as a guess alike).",
  })
  async galleryImages(
    @Ctx() ctx: RequestContext,
    @Arg("accessCode", () => String, { description: "The code as printed." }) accessCode: string,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100, description: "At most this many images (1 to 100)." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the page before." }) after: string | null,
  ): Promise<Connection<GalleryImageType> | null> {
    return this.codes.galleryImages(ctx, accessCode, { first: first ?? 100, after: after ?? null });
  }
}
