import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType("Image", { description: "An uploaded or stock image, as the caller may see it (its owner, admins of an order holding it)." })
export class ImageType {
  @Field(() => ID, { description: "The image's id: what POST /images answered, or a stock image's chosen id." })
  id!: string;

  @Field(() => String, { description: "image/jpeg, image/png or image/tiff." })
  contentType!: string;

  @Field(() => Int, { description: "Size of the original in bytes." })
  bytes!: number;

  @Field(() => Int, { description: "Width of the original in pixels." })
  width!: number;

  @Field(() => Int, { description: "Height of the original in pixels." })
  height!: number;

  @Field(() => String, { description: "SHA-256 of the original's bytes, lower-case hex." })
  sha256!: string;

  @Field(() => String, {
    description:
      "Where to download the original: a path and query (/images/<id>/original?exp=...&sig=...) on this center, signed and short-lived (urlExpiresAt); no credential needed.",
  })
  url!: string;

  @Field(() => String, {
    description:
      "The same signed, short-lived link to the original as url (urlExpiresAt), under the name frontends pair with thumbnailUrl; no credential needed.",
  })
  originalUrl!: string;

  @Field(() => String, {
    description:
      "Where to fetch a JPEG thumbnail: a path and query (/images/<id>/thumbnail?exp=...&sig=...) on this center, signed and short-lived (urlExpiresAt); usable by an <img> without a credential.",
  })
  thumbnailUrl!: string;

  @Field(() => Date, { description: "When url stops working; read the image again for a fresh one." })
  urlExpiresAt!: Date;
}
