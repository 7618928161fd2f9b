/**
 * GraphQL edge of access codes and the gallery they open (contract part "events"). Only the shape
 * is checked here (bounded sizes); the rules are AccessCodesService's, as payload errors.
 */
import { MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionType } from "../graphql/connection.types";
import { DateScalar, DateTimeScalar } from "../graphql/scalars";
import { UserErrorType } from "../graphql/user-error.types";

const MAX_EDGE_TEXT = 1000;

@ObjectType("AccessCode", { description: "A code that shows a customer some images of one shop's shoot, so that they can reorder prints of them." })
export class AccessCodeType {
  @Field(() => String, {
    description:
      "The code, in groups of four (XXXX-XXXX-XXXX); shown once, when made (only its keyed hash is stored). Case, dashes and spaces do not matter when typed.",
  })
  code!: string;

  @Field(() => ID, { description: "The shoot whose images the code shows." })
  shootId!: string;

  @Field(() => String, { nullable: true, description: "Only the images tagged with this subject; null: every image of the shoot." })
  subject!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "After this instant the code shows nothing; null: until the shoot's last day." })
  expiresAt!: Date | null;
}

@InputType("AccessCodeInput", { description: "A new access code of a shoot." })
export class AccessCodeInput {
  @Field(() => ID, { description: "The shoot; one of a shop the caller administers, not past its last day." })
  @MaxLength(MAX_EDGE_TEXT)
  shootId!: string;

  @Field(() => String, { nullable: true, description: "Only images tagged with this subject (1 to 100 characters, no slashes); unset: the whole shoot." })
  @MaxLength(MAX_EDGE_TEXT)
  subject?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the code stops showing anything (in the future); unset: with the shoot." })
  expiresAt?: Date | null;
}

@ObjectType("AccessCodePayload", { description: "The result of createAccessCode." })
export class AccessCodePayload {
  @Field(() => AccessCodeType, { nullable: true, description: "The code as made; null when errors is not empty." })
  accessCode?: AccessCodeType | null;

  @Field(() => [UserErrorType], { description: "Business failures with stable codes and the input path; when not empty, nothing was written." })
  errors!: UserErrorType[];
}

@ObjectType("AccessCodesPayload", { description: "The result of createAccessCodesForSubjects." })
export class AccessCodesPayload {
  @Field(() => [AccessCodeType], {
    description: "The codes made, one per subject that had none, sorted by subject (at most 5,000: a list to print); empty when errors is not empty.",
  })
  accessCodes!: AccessCodeType[];

  @Field(() => [UserErrorType], { description: "Business failures with stable codes and the input path; when not empty, nothing was written." })
  errors!: UserErrorType[];
}

@ObjectType("GalleryImage", { description: "One image an access code shows: its thumbnail only." })
export class GalleryImageType {
  @Field(() => ID, { description: "The image's id (what a reorder names)." })
  imageId!: string;

  @Field(() => String, { description: "A short-lived signed URL of the image's thumbnail; no session needed." })
  thumbnailUrl!: string;

  @Field(() => DateTimeScalar, { description: "When thumbnailUrl stops working; read the gallery again for a new one." })
  thumbnailExpiresAt!: Date;

  @Field(() => Int, { description: "The original's width in pixels." })
  width!: number;

  @Field(() => Int, { description: "The original's height in pixels." })
  height!: number;
}

@ObjectType("Gallery", { description: "What an access code shows. Anyone holding the code may see it; thumbnails only." })
export class GalleryType {
  @Field(() => ID, { description: "The shoot the images come from." })
  shootId!: string;

  @Field(() => ID, { description: "The shoot's shop (where reorders are priced)." })
  shopId!: string;

  @Field(() => String, { description: "The shoot's name (an event's name)." })
  name!: string;

  @Field(() => String, { nullable: true, description: "The subject the code shows; null: the whole shoot." })
  subject!: string | null;

  @Field(() => DateScalar, { nullable: true, description: "The shoot's last day to see and reorder its images (inclusive); null: no end." })
  availableUntil!: string | null;

  @Field(() => [GalleryImageType], {
    description: "The images, oldest first: the first 500 at most (see hasMoreImages; galleryImages reads them all, a page at a time).",
  })
  images!: GalleryImageType[];

  @Field(() => Boolean, { description: "Whether the code shows more images than images lists (read them with galleryImages)." })
  hasMoreImages!: boolean;
}

export const GalleryImageConnection = connectionType("GalleryImage", GalleryImageType, "The images an access code shows, oldest first, a page at a time.");
