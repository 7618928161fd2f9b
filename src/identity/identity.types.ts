import { connectionType } from "../graphql/connection.types";
import { IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { Role } from "./role";
import { IsHumanName } from "../common/names";

registerEnumType(Role, {
  name: "Role",
  description: "A user's rank (seed 003): what they may do, within their scope.",
  valuesConfig: {
    CENTER_ADMIN: { description: "Runs the whole network: shops, groups, labs, standard prices, users." },
    SHOP_GROUP_ADMIN: { description: "Runs one shop group: its shops, templates, group prices and the shops' allowances." },
    SHOP_ADMIN: { description: "Runs one shop: its own prices within the group's allowance." },
    GENERAL_USER: { description: "A customer: uploads images, quotes, places and follows their own orders." },
  },
});

@ObjectType("User", { description: "A person who logs in: customer or admin." })
export class UserType {
  @Field(() => ID, { description: "Unique id of this user." })
  id!: string;

  @Field(() => String, { description: "Login name, unique." })
  login!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => Role, { description: "Rank: what the user may do." })
  role!: Role;

  @Field(() => ID, { nullable: true, description: "The shop group a SHOP_GROUP_ADMIN administers." })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: "The shop a SHOP_ADMIN administers." })
  shopId?: string | null;

  @Field(() => Boolean, { description: "A disabled user cannot log in, and their tokens stop working." })
  disabled!: boolean;
}

@ObjectType("LogoutPayload", { description: "Result of logout: whether the caller's sessions ended, or errors." })
export class LogoutPayload {
  @Field(() => Boolean, { description: "true once every session of the caller has ended (this token included)." })
  signedOut!: boolean;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes (SESSION_ENDED: the session had ended already); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("LoginPayload", { description: "Result of a login: a session token and the user, or errors." })
export class LoginPayload {
  @Field(() => String, { nullable: true, description: "Bearer token for the Authorization header; null when errors is not empty." })
  token?: string | null;

  @Field(() => UserType, { description: "The logged-in user.", nullable: true })
  user?: UserType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("UserPayload", { description: "Result of a mutation on a user." })
export class UserPayload {
  @Field(() => UserType, { description: "The user.", nullable: true })
  user?: UserType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@InputType("CreateUserInput", { description: "A new user. Shop admins need shopId, shop-group admins shopGroupId." })
export class CreateUserInput {
  @Field(() => ID, { nullable: true, description: "Chosen id (e.g. U101); made by the center when omitted." })
  @IsOptional()
  @MaxLength(64)
  id?: string | null;

  @Field(() => String, { description: "Login name, unique." })
  @Length(3, 100)
  @Matches(/^[A-Za-z0-9._@+-]+$/, { message: "login may hold letters, digits and . _ @ + - only" })
  login!: string;

  @Field(() => String, { description: "Display name." })
  @Length(1, 200)
  @IsHumanName()
  name!: string;

  @Field(() => String, { description: "Password, 8 to 256 characters (WEAK_PASSWORD otherwise)." })
  @Length(8, 256)
  password!: string;

  @Field(() => Role, { description: "Rank: what the user may do." })
  role!: Role;

  @Field(() => ID, { description: "For SHOP_GROUP_ADMIN: the group they run.", nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, { description: "For SHOP_ADMIN: the shop they run.", nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;
}

@InputType("UpdateUserInput", { description: "Fields to change; omitted fields stay as they are." })
export class UpdateUserInput {
  @Field(() => String, { description: "Login name, unique. Unset: unchanged.", nullable: true })
  @IsOptional()
  @Length(3, 100)
  login?: string;

  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @Length(1, 200)
  @IsHumanName()
  name?: string;

  @Field(() => String, { description: "Password, 8 to 256 characters (WEAK_PASSWORD otherwise). Unset: unchanged.", nullable: true })
  @IsOptional()
  @Length(8, 256)
  password?: string;

  @Field(() => Role, { description: "Rank: what the user may do. Unset: unchanged.", nullable: true })
  @IsOptional()
  role?: Role;

  @Field(() => ID, { description: "For SHOP_GROUP_ADMIN: the group they run.", nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, { description: "For SHOP_ADMIN: the shop they run.", nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;
}

@ObjectType("LabApiKey", { description: "A lab daemon's credential. The secret itself is shown only once, when issued." })
export class LabApiKeyType {
  @Field(() => ID, { description: "Unique id of this lab api key." })
  id!: string;

  @Field(() => ID, { description: "The lab the key authenticates." })
  labId!: string;

  @Field(() => String, { description: "A name for the key, for admins (e.g. which machine holds it)." })
  label!: string;

  @Field(() => Date, { description: "When it was created (UTC instant)." })
  createdAt!: Date;

  @Field(() => Date, { description: "When it was revoked (UTC instant); null while valid.", nullable: true })
  revokedAt?: Date | null;
}

@ObjectType("LabApiKeyPayload", {
  description: "Result of a mutation on a lab key: the key record (its clear key is returned once, where the payload has it), or errors.",
})
export class LabApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The secret key: shown here once, never again. Send it as Authorization: Bearer <key>." })
  key?: string | null;

  @Field(() => LabApiKeyType, { description: "The key's record (never the clear key).", nullable: true })
  apiKey?: LabApiKeyType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

export const UserConnection = connectionType("User", UserType, "Users within the caller's scope, by id, a page at a time (cursor-based).");
export const LabApiKeyConnection = connectionType("LabApiKey", LabApiKeyType, "A lab's API keys (never the secrets), by id, a page at a time (cursor-based).");
