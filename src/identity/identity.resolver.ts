import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import { humanNameArg } from "../graphql/argument-validation";
import type { RequestContext } from "../core/request-context";
import {
  CreateUserInput,
  LabApiKeyConnection,
  LabApiKeyPayload,
  LabApiKeyType,
  LoginPayload,
  UpdateUserInput,
  UserConnection,
  UserPayload,
  UserType,
} from "./identity.types";
import { Role } from "./role";
import { IdentityService } from "./identity.service";
import { LabKeysService } from "../labs/lab-keys.service";
import { UsersService } from "./users.service";

@Resolver()
export class IdentityResolver {
  constructor(
    private readonly identity: IdentityService,
    private readonly labKeys: LabKeysService,
    private readonly usersService: UsersService,
  ) {}

  @Query(() => UserType, { nullable: true, description: "The logged-in person; null for anonymous callers and labs." })
  me(@Ctx() ctx: RequestContext): UserType | null {
    return ctx.auth.kind === "user" ? ctx.auth.user : null;
  }

  @Mutation(() => LoginPayload, { description: "Log in with login and password: a session token (Authorization: Bearer <token>)." })
  async login(
    @Ctx() ctx: RequestContext,
    @Arg("login", () => String, { description: "The login name." }) login: string,
    @Arg("password", () => String, { description: "The password." }) password: string,
  ): Promise<LoginPayload> {
    const r = await this.identity.login(ctx, login, password);
    return Array.isArray(r) ? { token: null, user: null, errors: r } : { token: r.token, user: r.user, errors: [] };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Query(() => [UserType], { description: "Users within the caller's scope." })
  users(@Ctx() ctx: RequestContext): Promise<UserType[]> {
    return this.usersService.list(ctx);
  }

  @Authorized(Role.CENTER_ADMIN)
  @Query(() => UserConnection, { description: "The same users as users, as a Relay connection: by id, a page at a time with first (1 to 100) and after." })
  async usersConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<UserType>> {
    return listPage(await this.usersService.list(ctx), page(first, after), (u) => u.id);
  }

  @Authorized(Role.CENTER_ADMIN)
  @Query(() => UserType, { description: "One user; null when not found or outside the caller's scope.", nullable: true })
  user(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the user." }) id: string): Promise<UserType | null> {
    return this.usersService.get(ctx, id);
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => UserPayload, { description: "Create a user (center admins; shop-group admins within their group)." })
  async createUser(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateUserInput, { description: "What to create or set." }) input: CreateUserInput,
  ): Promise<UserPayload> {
    const r = await this.usersService.create(ctx, input);
    return { user: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => UserPayload, { description: "Correct a user, change their role and scope, or reset their password." })
  async updateUser(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the user." }) id: string,
    @Arg("input", () => UpdateUserInput, { description: "What to set; unset fields stay as they are." }) input: UpdateUserInput,
  ): Promise<UserPayload> {
    const r = await this.usersService.update(ctx, id, input);
    return { user: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => UserPayload, { description: "Disable (or enable again) a user; a disabled user's tokens stop working at once." })
  async setUserDisabled(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the set user disabled." }) id: string,
    @Arg("disabled", () => Boolean, { description: "true: the user can no longer log in and their sessions end." }) disabled: boolean,
  ): Promise<UserPayload> {
    const r = await this.usersService.setDisabled(ctx, id, disabled);
    return { user: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Query(() => [LabApiKeyType], { description: "A lab's API keys (never the secrets)." })
  labApiKeys(@Ctx() ctx: RequestContext, @Arg("labId", () => ID, { description: "The lab's id." }) labId: string): Promise<LabApiKeyType[]> {
    return this.labKeys.list(ctx, labId);
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Query(() => LabApiKeyConnection, {
    description: "The same keys as labApiKeys (never the secrets), as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async labApiKeysConnection(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab whose keys to read." }) labId: string,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<LabApiKeyType>> {
    return listPage(await this.labKeys.list(ctx, labId), page(first, after), (k) => k.id);
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabApiKeyPayload, { description: "Issue a new API key for a lab; the secret is in this answer only." })
  async createLabApiKey(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab's id." }) labId: string,
    @Arg("label", () => String, { description: "A name for the key (which machine holds it).", defaultValue: "", validateFn: humanNameArg("label") })
    label: string,
  ): Promise<LabApiKeyPayload> {
    const r = await this.labKeys.create(ctx, labId, label.slice(0, 200));
    return { key: r.value?.key ?? null, apiKey: r.value?.apiKey ?? null, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabApiKeyPayload, { description: "Revoke a key and issue its successor in one step." })
  async rotateLabApiKey(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the lab api key." }) id: string): Promise<LabApiKeyPayload> {
    const r = await this.labKeys.rotate(ctx, id);
    return { key: r.value?.key ?? null, apiKey: r.value?.apiKey ?? null, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabApiKeyPayload, { description: "Revoke a key: it stops working at once." })
  async revokeLabApiKey(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the lab api key." }) id: string): Promise<LabApiKeyPayload> {
    const r = await this.labKeys.revoke(ctx, id);
    return { key: null, apiKey: r.value, errors: r.errors };
  }
}
