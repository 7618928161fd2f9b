import { IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { Role } from "./role";
import { IsHumanName } from "../common/names";

registerEnumType(Role, { name: "Role", description: "A user's rank (seed 003): what they may do, within their scope." });

@ObjectType("User")
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  login!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID, { nullable: true, description: "The shop group a SHOP_GROUP_ADMIN administers." })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: "The shop a SHOP_ADMIN administers." })
  shopId?: string | null;

  @Field(() => Boolean, { description: "A disabled user cannot log in, and their tokens stop working." })
  disabled!: boolean;
}

@ObjectType("LoginPayload")
export class LoginPayload {
  @Field(() => String, { nullable: true, description: "Bearer token for the Authorization header; null when errors is not empty." })
  token?: string | null;

  @Field(() => UserType, { nullable: true })
  user?: UserType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("UserPayload")
export class UserPayload {
  @Field(() => UserType, { nullable: true })
  user?: UserType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@InputType("CreateUserInput")
export class CreateUserInput {
  @Field(() => ID, { nullable: true, description: "Chosen id (e.g. U101); made by the center when omitted." })
  @IsOptional()
  @MaxLength(64)
  id?: string | null;

  @Field(() => String)
  @Length(3, 100)
  @Matches(/^[A-Za-z0-9._@+-]+$/, { message: "login may hold letters, digits and . _ @ + - only" })
  login!: string;

  @Field(() => String)
  @Length(1, 200)
  @IsHumanName()
  name!: string;

  @Field(() => String)
  @Length(8, 256)
  password!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;
}

@InputType("UpdateUserInput", { description: "Fields to change; omitted fields stay as they are." })
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(3, 100)
  login?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  @IsHumanName()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(8, 256)
  password?: string;

  @Field(() => Role, { nullable: true })
  @IsOptional()
  role?: Role;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;
}

@ObjectType("LabApiKey", { description: "A lab daemon's credential. The secret itself is shown only once, when issued." })
export class LabApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  labId!: string;

  @Field(() => String)
  label!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt?: Date | null;
}

@ObjectType("LabApiKeyPayload")
export class LabApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The secret key: shown here once, never again. Send it as Authorization: Bearer <key>." })
  key?: string | null;

  @Field(() => LabApiKeyType, { nullable: true })
  apiKey?: LabApiKeyType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}
