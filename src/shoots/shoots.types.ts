/**
 * GraphQL edge of event photography's shoots and capture devices (contract part "events"). Only the
 * shape is checked here (bounded sizes); the rules are the services', as payload errors.
 */
import { MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionType } from "../graphql/connection.types";
import { DateScalar } from "../graphql/scalars";
import { UserErrorType } from "../graphql/user-error.types";

const MAX_EDGE_TEXT = 1000;

@ObjectType("Shoot", {
  description:
    "A shoot: an event or a studio session of one shop. Its capture devices upload the captured images into it; the center keeps them for the first prints and for reorders until the shoot's images are retired.",
})
export class ShootType {
  @Field(() => ID, { description: "The shoot's id (the folder capture devices upload into)." })
  id!: string;

  @Field(() => ID, { description: "The shop the shoot belongs to." })
  shopId!: string;

  @Field(() => String, { description: "What the shoot is called (an event's name)." })
  name!: string;

  @Field(() => ID, { description: "The lab at the event or the shop (the first print-out apparatus) that prints the first prints." })
  firstPrintLabId!: string;

  @Field(() => DateScalar, { nullable: true, description: "Customers can see and reorder its images until this date (inclusive); null: no end." })
  availableUntil!: string | null;

  @Field(() => Int, { description: "How many images the shoot holds." })
  imageCount!: number;

  @Field(() => Boolean, { description: "Whether its images were removed from the store (after availableUntil and the retention time)." })
  retired!: boolean;
}

@InputType("ShootInput", { description: "A new shoot of a shop." })
export class ShootInput {
  @Field(() => ID, { description: "The shop holding the shoot; one the caller administers." })
  @MaxLength(MAX_EDGE_TEXT)
  shopId!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  name!: string;

  @Field(() => ID, { nullable: true, description: "A lab of the shop; default: the shop's best capable lab." })
  @MaxLength(MAX_EDGE_TEXT)
  firstPrintLabId?: string | null;

  @Field(() => DateScalar, { nullable: true, description: "The last day customers may see and reorder its images (today or later); unset: no end." })
  availableUntil?: string | null;
}

@ObjectType("ShootPayload", { description: "The result of createShoot." })
export class ShootPayload {
  @Field(() => ShootType, { nullable: true, description: "The shoot as written; null when errors is not empty." })
  shoot?: ShootType | null;

  @Field(() => [UserErrorType], { description: "Business failures with stable codes and the input path; when not empty, nothing was written." })
  errors!: UserErrorType[];
}

@ObjectType("CaptureDevice", {
  description:
    "An imaging apparatus (a camera, or the uploader tethered to it) registered to a shop. It authenticates with its own key and may write only into shoots of its shop.",
})
export class CaptureDeviceType {
  @Field(() => ID, { description: "The device's id: its FTP user name, and the public part of its key." })
  id!: string;

  @Field(() => ID, { description: "The shop the device belongs to." })
  shopId!: string;

  @Field(() => String, { description: "What the device is called (a camera's body, a photographer)." })
  name!: string;

  @Field(() => Boolean, { description: "Whether the device's key was revoked (every later upload is refused)." })
  revoked!: boolean;
}

@ObjectType("CaptureDevicePayload", { description: "The result of createCaptureDevice and revokeCaptureDevice." })
export class CaptureDevicePayload {
  @Field(() => CaptureDeviceType, { nullable: true, description: "The device as written; null when errors is not empty." })
  device?: CaptureDeviceType | null;

  @Field(() => String, { nullable: true, description: "The device's key, shown once (on creation only)." })
  key?: string | null;

  @Field(() => [UserErrorType], { description: "Business failures with stable codes and the input path; when not empty, nothing was written." })
  errors!: UserErrorType[];
}

@ObjectType("ShootImage", { description: "An image captured at a shoot." })
export class ShootImageType {
  @Field(() => ID, { description: "The image's id: usable in first prints and in reorders through an access code." })
  imageId!: string;

  @Field(() => ID, { description: "The shoot the image was captured at." })
  shootId!: string;

  @Field(() => String, { description: "The SHA-256 of the image's bytes, hex." })
  sha256!: string;

  @Field(() => Int, { description: "Width in pixels." })
  width!: number;

  @Field(() => Int, { description: "Height in pixels." })
  height!: number;

  @Field(() => String, { nullable: true, description: "Whom the image shows, as tagged at capture (a bib number, a card's code, a class); null: untagged." })
  subject!: string | null;
}

export const ShootConnection = connectionType("Shoot", ShootType, "Shoots, newest first, a page at a time (cursor-based).");
