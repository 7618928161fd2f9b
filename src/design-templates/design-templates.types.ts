import { connectionType } from "../graphql/connection.types";
/**
 * GraphQL edge of design templates (seed 001, claims 5-6): the center's light version of each
 * template, what the labs hold, and the inputs to manage and report them. Only the shape is checked
 * here (bounded sizes); the rules are the service's and come back as payload errors.
 */
import { IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { MAX_PREVIEW_LENGTH, MAX_TEMPLATE_SIZE } from "./design-templates.service";
import { IsHumanName } from "../common/names";

/** Longer than this is refused at the edge; the service's own limits are tighter (and say so in the payload). */
const MAX_EDGE_TEXT = 1000;
const MAX_EDGE_PREVIEW = 256 * 1024;

const ID_DESCRIPTION = "Chosen by the caller: 1 to 64 letters, digits, '.', '_' or '-'; unique ignoring letter case.";
const PREVIEW_DESCRIPTION = `A small image: a data URL (data:image/png;base64,...; PNG, JPEG, GIF or WebP) or bare base64; at most ${MAX_PREVIEW_LENGTH} characters as a data URL.`;

@ObjectType("DesignTemplate", {
  description: "A design template (frame, card layout) as the center knows it: the labs hold the full file (seed 001, claims 5-6).",
})
export class DesignTemplateType {
  @Field(() => ID, { description: "Unique id of this design template." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => String, { description: "A small preview, as a data URL (image/png, jpeg, gif or webp)." })
  preview!: string;

  @Field(() => String, { description: "SHA-256 of the full file, lower-case hex: a lab's copy must match it." })
  sha256!: string;

  @Field(() => Int, { description: "Size of the full file in bytes." })
  size!: number;

  @Field(() => Date, { description: "When it last changed (UTC instant)." })
  updatedAt!: Date;
}

@ObjectType("LabDesignTemplate", { description: "A design template a lab reported holding." })
export class LabDesignTemplateType {
  @Field(() => ID, { description: "The lab holding it." })
  labId!: string;

  @Field(() => ID, { description: "The design template." })
  designTemplateId!: string;

  @Field(() => String, { description: "The checksum of the lab's copy when it reported it." })
  sha256!: string;

  @Field(() => Date, { description: "When the lab last reported holding it (UTC instant)." })
  reportedAt!: Date;

  @Field(() => Boolean, { description: "False when the center's file changed since: the lab holds an old version, which counts as not held." })
  current!: boolean;
}

@InputType("CreateDesignTemplateInput", { description: "A design template file (frame, card layout) registered with the center." })
export class CreateDesignTemplateInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;

  @Field(() => String, { description: PREVIEW_DESCRIPTION })
  @MaxLength(MAX_EDGE_PREVIEW)
  preview!: string;

  @Field(() => String, { description: "SHA-256 of the full file: 64 hexadecimal digits." })
  @MaxLength(MAX_EDGE_TEXT)
  sha256!: string;

  @Field(() => Int, { description: `Size of the full file in bytes: 1 to ${MAX_TEMPLATE_SIZE}.` })
  size!: number;
}

@InputType("UpdateDesignTemplateInput", {
  description: "Fields to change; omitted fields stay as they are. A new file is a new sha256 (and size): labs must fetch it.",
})
export class UpdateDesignTemplateInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;

  @Field(() => String, { nullable: true, description: PREVIEW_DESCRIPTION })
  @IsOptional()
  @MaxLength(MAX_EDGE_PREVIEW)
  preview?: string | null;

  @Field(() => String, { description: "SHA-256 of the new file, lowercase hex.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  sha256?: string | null;

  @Field(() => Int, { description: "Size of the new file in bytes.", nullable: true })
  @IsOptional()
  size?: number | null;
}

@ObjectType("DesignTemplatePayload", { description: "Result of a mutation on a design template: the template, or errors." })
export class DesignTemplatePayload {
  @Field(() => DesignTemplateType, { nullable: true, description: "The template as written (as it was, for a delete); null when errors is not empty." })
  designTemplate?: DesignTemplateType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@InputType("HeldDesignTemplateInput", { description: "A design template a lab holds, and the SHA-256 of its copy of the full file." })
export class HeldDesignTemplateInput {
  @Field(() => ID, { description: "The design template's id." })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "SHA-256 of the file the lab holds, lowercase hex (64 characters)." })
  @MaxLength(MAX_EDGE_TEXT)
  sha256!: string;
}

@ObjectType("ReportLabTemplatesPayload", { description: "Result of a lab's report of the design templates it holds." })
export class ReportLabTemplatesPayload {
  @Field(() => [LabDesignTemplateType], {
    nullable: true,
    description: "What the center now knows the lab holds; null when errors is not empty (nothing was stored).",
  })
  templates?: LabDesignTemplateType[] | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

export const DesignTemplateConnection = connectionType("DesignTemplate", DesignTemplateType, "Design templates, by id, a page at a time (cursor-based).");
export const LabDesignTemplateConnection = connectionType(
  "LabDesignTemplate",
  LabDesignTemplateType,
  "The design templates a lab reported holding, by design template id, a page at a time (cursor-based).",
);
